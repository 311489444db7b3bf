/**
 * `contrastive calibrate` as a job: choose a bundle's decision threshold on one
 * split for a target (accuracy, FAR, FRR, TAR), fit p(same | distance), and
 * store both in the bundle's manifest.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';

import { calibrateThreshold, fitPlatt, type CalibrationTarget, type PlattParameters } from 'contrastive/internal/eval/calibration.js';

import { openBundle, bundleSplit, onePassLoadOptions, type OpenBundle, type BundleDataOptions } from './bundle-split.js';
import { scorerOf, scoreSplitPairs, pairsFor, bundlePairScores } from './bundle-scoring.js';
import { updateManifest } from '@contrastive/node/internal/models/bundle.js';

/** What {@link calibrateBundle} returns (and wrote into the bundle). @group Evaluation */
export interface BundleCalibration {
  threshold: number;
  calibration: {
    target: string;
    dataset: string;
    probability: { model: 'logistic'; a: number; b: number };
    pairs: number;
    accuracy: number;
    far: number;
    frr: number;
    tar: number;
  };
}

const FN_CAL = 'calibrateBundle';

/** The manifest's name of a target: 'accuracy', 'eer' or 'far=<rate>'. @group Evaluation */
export function calibrationTargetName(target: CalibrationTarget): string {
  return target.kind === 'far' ? `far=${target.far}` : target.kind;
}

/**
 * Chooses a bundle's decision threshold on one split (validation by default)
 * for `target`, fits p(same | distance) by Platt scaling on the same pairs,
 * and writes both into the bundle's manifest.json atomically (threshold and
 * calibration { target, dataset, probability, pairs, accuracy, far, frr, tar });
 * the model files are untouched.
 *
 * @throws ContrastiveError as {@link evaluateBundle}, and for a bad target.
 * @group Evaluation
 */
export async function calibrateBundle(
  bundle: string | OpenBundle,
  dataset: string,
  options: BundleDataOptions & { target?: CalibrationTarget } = {},
): Promise<BundleCalibration> {
  const b = typeof bundle === 'string' ? await openBundle(bundle) : bundle;
  const split = options.split ?? 'validation';
  const target = options.target ?? { kind: 'accuracy' };
  // scoreSplit reads only the rows its pairs name, through the split's example store (a folder is streamed unless the call says otherwise)
  const { data, runSplit } = await bundleSplit(b, dataset, split, onePassLoadOptions(b, dataset, options.load), FN_CAL, options.runSplit);
  const pairs = pairsFor(data, split, runSplit.seed, options, FN_CAL);
  const scorer = scorerOf(b, FN_CAL);
  let distances: Float32Array;
  try {
    distances = await scoreSplitPairs(b, data, pairs, scorer);
  } finally {
    scorer.head?.dispose();
  }
  // a bundle with a cohort keeps its threshold on S-normalised scores: chosen on those
  const scores = await bundlePairScores(b, data, pairs, distances, runSplit.seed, FN_CAL);
  const chosen = calibrateThreshold(scores, pairs.labels, target);
  check(Number.isFinite(chosen.threshold), FN_CAL, `target ${calibrationTargetName(target)} accepts no pair of the ${split} split (threshold ${chosen.threshold}); choose a looser target`);
  const platt: PlattParameters = fitPlatt(scores, pairs.labels);
  const calibration: BundleCalibration['calibration'] = {
    target: calibrationTargetName(target),
    dataset: `${dataset} ${split} pairs${b.manifest.scoreNorm ? ' (s-norm)' : ''}`,
    probability: { model: 'logistic', a: platt.a, b: platt.b },
    pairs: pairs.labels.length,
    accuracy: chosen.accuracy,
    far: chosen.far,
    frr: chosen.frr,
    tar: chosen.tar,
  };
  await updateManifest(b.dir, { threshold: chosen.threshold, calibration });
  b.manifest = { ...b.manifest, threshold: chosen.threshold, calibration };
  return { threshold: chosen.threshold, calibration };
}
