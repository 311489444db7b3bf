/**
 * How a margin is chosen and shown: the sweep's rows and result, the margins
 * tried by default, the rule of thumb, the recommendation rule (the best
 * validation MAP@R, ties within `tieTolerance` to the higher validation AUC,
 * then to the smaller margin; test figures never pick) and the table.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { fixed } from 'contrastive/internal/util/format.js';
import type { DistanceName } from 'contrastive/internal/distances/index.js';
import type { EncoderName } from './run-training.js';
import { DEFAULT_MARGINS_NORMALIZED, DEFAULT_MARGINS_UNNORMALIZED, RUN_DEFAULTS } from './choices.js';

/** One margin's run. Validation figures are at the run's best epoch. @group Studies */
export interface MarginSweepRow {
  margin: number;
  /** Output directory of this run (bundle, metrics.json, history.json). */
  runDir: string;
  validation: {
    auc: number;
    eer: number;
    /** MAP@R of the validation split (null for pairs-only data). */
    mapAtR: number | null;
  };
  test: {
    auc: number;
    eer: number;
    /** At the threshold calibrated on validation pairs. */
    accuracy: number;
    mapAtR: number | null;
    precisionAt1: number | null;
  };
  /** Distances of validation pairs at the best epoch: where the margin sits among them. */
  diagnostics: { meanPositive: number; meanNegative: number; activeNegativeFraction: number } | null;
  epochs: number;
  bestEpoch: number;
  trainSeconds: number;
  /** Why the run failed (e.g. the loss diverged); such a row is never recommended. */
  error?: string;
}

/** What {@link marginSweep} returns and writes to sweep.json. @group Studies */
export interface MarginSweepResult {
  dataset: string;
  encoder: EncoderName;
  loss: 'contrastive' | 'triplet';
  normalize: boolean;
  distance: DistanceName;
  seed: number;
  epochs: number;
  /** Training pairs per epoch (null: the trainer's default, one per training example). */
  pairsPerEpoch: number | null;
  margins: number[];
  rows: MarginSweepRow[];
  /** The recommended margin, one of `margins`. */
  recommended: number;
  /** The rule that picked it, in words. */
  rule: string;
  /**
   * Mean distance of the validation pairs under the untrained encoder (same seed):
   * the scale a margin is relative to when embeddings are not normalised.
   */
  initialDistances: { meanPositive: number; meanNegative: number; pairs: number };
  /** The rule of thumb for this normalisation, in words. */
  ruleOfThumb: string;
  /**
   * A caveat when the budget may have chosen the margin: each run's epochs are
   * fewer than a training run's and the largest margin tried won (see
   * {@link budgetNote}); null otherwise.
   */
  budgetNote: string | null;
  /** The sweep directory. */
  outDir: string;
  /** The HTML report written, or null. */
  reportFile: string | null;
}

/** The default margins for a normalisation: D in [0, 2] when L2-normalised or cosine. @group Studies */
export function defaultMargins(options: { normalize?: boolean; distance?: DistanceName } = {}): number[] {
  const bounded = options.normalize === true || options.distance === 'cosine';
  return [...(bounded ? DEFAULT_MARGINS_NORMALIZED : DEFAULT_MARGINS_UNNORMALIZED)];
}

/** The rule of thumb for choosing a margin, in words, for the report. @group Studies */
export function marginRuleOfThumb(options: { normalize?: boolean; distance?: DistanceName; initialMeanNegative?: number }): string {
  if (options.normalize === true || options.distance === 'cosine') {
    return 'embeddings are L2-normalised (D lies in [0, 2]): a margin around 0.5-1 of that range is the usual choice';
  }
  const scale = options.initialMeanNegative;
  const at = scale !== undefined && Number.isFinite(scale) ? ` (here ${scale.toPrecision(3)})` : '';
  return `embeddings are not normalised: the margin is relative to the typical distance of dissimilar pairs at initialisation${at}; a margin near that scale keeps most dissimilar pairs active without inflating the embedding`;
}
/**
 * Larger margins keep more dissimilar pairs inside the margin, so they move the
 * embedding faster in the first epochs: on a budget shorter than a training
 * run's, the largest margin tried tends to win the sweep, and at the full
 * budget a smaller one often does as well or better (the README's MNIST sweep:
 * 1.5 won at 3 epochs, 1 at 40). The note says so when the sweep's budget is
 * short (`epochs` below `fullEpochs`, the train command's default) and its
 * recommendation is the largest margin that finished; null otherwise.
 */
export function budgetNote(rows: readonly MarginSweepRow[], recommended: number, epochs: number, fullEpochs: number = RUN_DEFAULTS.epochs): string | null {
  const finished = rows.filter((r) => !r.error).map((r) => r.margin);
  if (finished.length < 2 || epochs >= fullEpochs || recommended !== Math.max(...finished)) return null;
  return (
    `this ${epochs}-epoch budget favours large margins (they keep more dissimilar pairs active, so they learn fastest early) and the largest margin tried won; ` +
    `at a training run's budget (${fullEpochs} epochs by default) a smaller margin may do as well or better: sweep on the budget you will train with (--epochs N)`
  );
}

/** Candidates within `tol` of the best `score` (NaN and null scores never win). */
function nearBest<T>(items: T[], score: (t: T) => number | null, tol: number): T[] {
  const valid = items.filter((t) => {
    const s = score(t);
    return s !== null && Number.isFinite(s);
  });
  if (valid.length === 0) return items;
  const best = Math.max(...valid.map((t) => score(t) as number));
  return valid.filter((t) => (score(t) as number) >= best - tol);
}

/**
 * The margin the sweep recommends: best validation MAP@R; rows within
 * `tieTolerance` of it are tied and go to the best validation AUC (same
 * tolerance), then to the smallest margin. Rows with an error are skipped; rows
 * without MAP@R (pairs-only data) are ranked by AUC alone.
 *
 * @throws ContrastiveError when no row finished.
 * @group Studies
 */
export function recommendMargin(rows: readonly MarginSweepRow[], tieTolerance = 0.005): number {
  const fn = 'recommendMargin';
  check(Array.isArray(rows), fn, 'rows must be an array of sweep rows');
  check(Number.isFinite(tieTolerance) && tieTolerance >= 0, fn, `tieTolerance must be a finite number >= 0, got ${tieTolerance}`);
  let candidates = rows.filter((r) => !r.error);
  if (candidates.length === 0) throw new ContrastiveError('NUMERIC', `${fn}: no margin finished training, nothing to recommend`);
  candidates = nearBest(candidates, (r) => r.validation.mapAtR, tieTolerance);
  candidates = nearBest(candidates, (r) => r.validation.auc, tieTolerance);
  return Math.min(...candidates.map((r) => r.margin));
}

/** The sweep as a Markdown table, one row per margin, the recommended one marked. @group Studies */
export function marginSweepTable(result: MarginSweepResult): string {
  const lines = [
    '| margin | val AUC | val EER | val MAP@R | test AUC | test EER | test acc | test MAP@R | d+ | d- | active- | train s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of result.rows) {
    const mark = r.margin === result.recommended ? ' **(rec.)**' : '';
    if (r.error) {
      lines.push(`| ${r.margin}${mark} | failed: ${r.error.replace(/\|/g, '/')} |||||||||||`);
      continue;
    }
    const d = r.diagnostics;
    lines.push(
      `| ${r.margin}${mark} | ${fixed(r.validation.auc)} | ${fixed(r.validation.eer)} | ${fixed(r.validation.mapAtR)} | ${fixed(r.test.auc)} | ${fixed(r.test.eer)} | ${fixed(r.test.accuracy)} | ${fixed(r.test.mapAtR)} | ${fixed(d?.meanPositive, 3)} | ${fixed(d?.meanNegative, 3)} | ${fixed(d?.activeNegativeFraction, 3)} | ${r.trainSeconds.toFixed(1)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
