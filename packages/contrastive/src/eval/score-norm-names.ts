/** The names of the score normalisations, apart from score-norm.ts so that option checks load no TensorFlow.js. */

/** Ways a pair's distance can be normalised before the threshold applies (see `sNormScores`). @group Evaluation */
export const SCORE_NORMS = ['none', 's-norm'] as const;
/** A {@link SCORE_NORMS} name: 'none' (the distance itself) or 's-norm' (cohort S-norm). @group Evaluation */
export type ScoreNormName = (typeof SCORE_NORMS)[number];

/** Examples in an S-norm cohort when the caller does not say. @group Evaluation */
export const DEFAULT_COHORT_SIZE = 1000;
