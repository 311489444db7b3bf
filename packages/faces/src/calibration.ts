/**
 * Calibrating the decision threshold of face descriptors on labelled faces,
 * with identity-disjoint k-fold cross-validation: the identities are dealt
 * into k folds; for each fold the threshold is chosen on pairs of the other
 * folds' identities and its accuracy measured on pairs of the fold's own, so
 * the reported accuracy is always on people the threshold never saw.
 */
import { check } from 'contrastive/internal/errors.js';
import { squaredDifference } from 'contrastive/internal/distances/squared-difference.js';
import { Rng } from 'contrastive/internal/util/rng.js';
import { calibrateThreshold, fitPlatt, accuracyAtThreshold, type PlattParameters } from 'contrastive/internal/eval/index.js';

/** Options of {@link calibrateFaceThreshold}. @group Verification */
export interface FaceCalibrationOptions {
  /** Number of identity folds; default 5. */
  folds?: number;
  /** Seed of the identity shuffle and the negative-pair draw; default 0. */
  seed?: number;
  /** Length of one descriptor or embedding; default 128. */
  dim?: number;
}

/**
 * A calibration on fewer identities than this, or fewer pairs of either kind,
 * warns: a threshold chosen on a handful of people says little about the next
 * person (identity-disjoint k-fold needs people to hold out).
 */
export const MIN_FACE_CALIBRATION = { identities: 20, pairs: 20 } as const;

/**
 * The warnings a calibration on `identities` people and these pairs deserves
 * (none when it reaches {@link MIN_FACE_CALIBRATION}); `what` names it, e.g.
 * 'the threshold of runs/faces/model'.
 */
export function faceCalibrationWarnings(what: string, identities: number | null, pairs: { similar: number; dissimilar: number } | null): string[] {
  const out: string[] = [];
  const few: string[] = [];
  if (identities !== null && identities < MIN_FACE_CALIBRATION.identities) few.push(`${identities} ${identities === 1 ? 'person' : 'people'}`);
  if (pairs && Math.min(pairs.similar, pairs.dissimilar) < MIN_FACE_CALIBRATION.pairs) few.push(`${pairs.similar} same-person and ${pairs.dissimilar} different-person pairs`);
  if (few.length > 0) {
    out.push(
      `${what} was calibrated on ${few.join(' and ')} (fewer than ${MIN_FACE_CALIBRATION.identities} people or ${MIN_FACE_CALIBRATION.pairs} pairs of each kind): ` +
        'it may not hold for other people; calibrate on more (contrastive face calibrate --dataset faces:DIR)',
    );
  }
  return out;
}

/** What {@link calibrateFaceThreshold} returns. @group Verification */
export interface FaceCalibration {
  /** Best-accuracy threshold on balanced pairs of all identities. */
  threshold: number;
  /** p(same | d) fitted on the same pairs, pinned to 0.5 at the threshold (p >= 0.5 exactly when d <= threshold). */
  platt: PlattParameters;
  /** Per fold: the threshold chosen without the fold's identities, and the accuracy on them. */
  folds: { threshold: number; accuracy: number; pairs: number }[];
  /** Mean held-out accuracy over the folds. */
  accuracy: number;
  /** Pairs used for the final threshold. */
  pairs: { similar: number; dissimilar: number };
  /** Identities (people) the pairs come from. */
  identities: number;
  /** Why the figures may not hold for other people (see {@link faceCalibrationWarnings}); empty when none. */
  warnings: string[];
}

/** Balanced pairs among the rows whose identity passes `keep`: every similar pair, as many dissimilar ones drawn at random. @group Verification */
export function balancedFacePairs(labels: Int32Array, keep: (identity: number) => boolean, rng: Rng): { i: number[]; j: number[]; y: number[] } {
  const pos: [number, number][] = [];
  const neg: [number, number][] = [];
  for (let a = 0; a < labels.length; a++) {
    if (!keep(labels[a])) continue;
    for (let b = a + 1; b < labels.length; b++) {
      if (!keep(labels[b])) continue;
      (labels[a] === labels[b] ? pos : neg).push([a, b]);
    }
  }
  rng.shuffle(neg);
  const chosen = [...pos.map((p) => [...p, 0]), ...neg.slice(0, pos.length).map((p) => [...p, 1])];
  return { i: chosen.map((c) => c[0]), j: chosen.map((c) => c[1]), y: chosen.map((c) => c[2]) };
}

function distancesOf(x: Float32Array, dim: number, i: number[], j: number[]): Float64Array {
  const d = new Float64Array(i.length);
  for (let k = 0; k < i.length; k++) {
    d[k] = Math.sqrt(squaredDifference(x, i[k] * dim, x, j[k] * dim, dim));
  }
  return d;
}

/**
 * Chooses the Euclidean-distance threshold of face descriptors (or head
 * embeddings) for best accuracy on balanced pairs, and measures it by
 * identity-disjoint k-fold cross-validation. Labels are identity indices.
 *
 * @throws ContrastiveError when there are fewer identities than folds, or a
 *   fold's complement lacks similar or dissimilar pairs.
 * @group Verification
 */
export function calibrateFaceThreshold(x: Float32Array, labels: Int32Array, options: FaceCalibrationOptions = {}): FaceCalibration {
  const fn = 'calibrateFaceThreshold';
  const { folds = 5, seed = 0, dim = 128 } = options;
  check(x.length === labels.length * dim, fn, `x has ${x.length} values; ${labels.length} rows of ${dim} need ${labels.length * dim}`);
  const ids = [...new Set(labels)].sort((a, b) => a - b);
  check(Number.isInteger(folds) && folds >= 2 && folds <= ids.length, fn, `folds must be an integer in [2, ${ids.length}] (the number of identities), got ${folds}`);
  const rng = new Rng(seed);
  const order = rng.shuffle(ids.slice());
  const foldOf = new Map<number, number>(order.map((id, k) => [id, k % folds]));
  const results: FaceCalibration['folds'] = [];
  for (let f = 0; f < folds; f++) {
    const cal = balancedFacePairs(labels, (id) => foldOf.get(id) !== f, rng);
    const held = balancedFacePairs(labels, (id) => foldOf.get(id) === f, rng);
    check(cal.y.includes(0) && cal.y.includes(1), fn, `fold ${f}: the other folds lack similar or dissimilar pairs (need 2+ images of some identity and 2+ identities)`);
    if (!(held.y.includes(0) && held.y.includes(1))) continue; // a fold of one identity has no dissimilar pair to test
    const t = calibrateThreshold(distancesOf(x, dim, cal.i, cal.j), Float64Array.from(cal.y), { kind: 'accuracy' }).threshold;
    results.push({ threshold: t, accuracy: accuracyAtThreshold(distancesOf(x, dim, held.i, held.j), Float64Array.from(held.y), t), pairs: held.y.length });
  }
  const all = balancedFacePairs(labels, () => true, rng);
  const d = distancesOf(x, dim, all.i, all.j);
  const y = Float64Array.from(all.y);
  check(all.y.includes(0) && all.y.includes(1), fn, 'need similar and dissimilar pairs (2+ images of some identity and 2+ identities)');
  const similar = all.y.filter((v) => v === 0).length;
  const threshold = calibrateThreshold(d, y, { kind: 'accuracy' }).threshold;
  const pairs = { similar, dissimilar: all.y.length - similar };
  return {
    threshold,
    platt: fitPlatt(d, y, { threshold }),
    folds: results,
    accuracy: results.length ? results.reduce((s, r) => s + r.accuracy, 0) / results.length : NaN,
    pairs,
    identities: ids.length,
    warnings: faceCalibrationWarnings('the threshold', ids.length, pairs),
  };
}
