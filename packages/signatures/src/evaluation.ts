/**
 * Writer-independent evaluation of signature verification: EER separately for
 * skilled and random forgeries, FAR and FRR at a calibrated threshold, and the
 * writer-dependent protocol (k reference signatures per writer, scores
 * normalised by each writer's own variability).
 */
import { check } from 'contrastive/internal/errors.js';
import { Rng } from 'contrastive/internal/util/rng.js';
import { verificationMetrics } from 'contrastive/internal/eval/index.js';
import { PAIR_KIND } from './pairs.js';
import { checkSignatureLabels, type SignatureLabels } from './signature-set.js';

/** Scored pairs: a distance (smaller = more alike) and a {@link PAIR_KIND} per pair. @group Pairs and evaluation */
export interface ScoredSignaturePairs {
  distances: ArrayLike<number>;
  kind: Uint8Array;
}

/** What {@link forgeryMetrics} returns. @group Pairs and evaluation */
export interface ForgeryMetrics {
  /** EER of genuine pairs against skilled-forgery pairs. */
  skilledEer: number;
  /** EER of genuine pairs against random-forgery pairs. */
  randomEer: number;
  skilledAuc: number;
  randomAuc: number;
  /** The threshold the rates below are measured at (accept when distance <= threshold), or null. */
  threshold: number | null;
  /** Genuine pairs rejected at the threshold (null without one). */
  frr: number | null;
  /** Skilled-forgery pairs accepted at the threshold. */
  farSkilled: number | null;
  /** Random-forgery pairs accepted at the threshold. */
  farRandom: number | null;
  pairs: { genuine: number; skilled: number; random: number };
}

function subset(distances: ArrayLike<number>, kind: Uint8Array, negative: number): { d: Float64Array; y: Uint8Array } {
  const idx: number[] = [];
  for (let k = 0; k < kind.length; k++) if (kind[k] === PAIR_KIND.genuine || kind[k] === negative) idx.push(k);
  return { d: Float64Array.from(idx, (k) => distances[k]), y: Uint8Array.from(idx, (k) => (kind[k] === PAIR_KIND.genuine ? 0 : 1)) };
}

/**
 * EER and AUC for skilled and for random forgeries (each against the same
 * genuine pairs), and FRR / FAR of each at `threshold` when one is given
 * (calibrate it on other writers: the validation split). A kind without
 * pairs gets NaN.
 *
 * @throws ContrastiveError when lengths differ, a kind is unknown, or there are no genuine pairs.
 * @group Pairs and evaluation
 */
export function forgeryMetrics(scored: ScoredSignaturePairs, threshold?: number): ForgeryMetrics {
  const fn = 'forgeryMetrics';
  const { distances, kind } = scored;
  check(distances.length === kind.length, fn, `${distances.length} distances but ${kind.length} pair kinds`);
  const counts = { genuine: 0, skilled: 0, random: 0 };
  for (let k = 0; k < kind.length; k++) {
    const v = kind[k];
    check(v <= 2, fn, `pair ${k} has kind ${v}; expected 0 genuine, 1 skilled or 2 random`);
    check(Number.isFinite(distances[k]), fn, `distance ${k} is ${distances[k]}`);
    counts[v === 0 ? 'genuine' : v === 1 ? 'skilled' : 'random']++;
  }
  check(counts.genuine > 0, fn, 'there are no genuine pairs to compare forgeries with');
  check(threshold === undefined || Number.isFinite(threshold), fn, `threshold must be finite, got ${threshold}`);
  const rates = (negative: number): { eer: number; auc: number } => {
    const s = subset(distances, kind, negative);
    if (s.y.length === counts.genuine) return { eer: NaN, auc: NaN };
    const m = verificationMetrics(s.d, s.y);
    return { eer: m.eer, auc: m.auc };
  };
  const skilled = rates(PAIR_KIND.skilled);
  const random = rates(PAIR_KIND.random);
  let frr: number | null = null;
  let farSkilled: number | null = null;
  let farRandom: number | null = null;
  if (threshold !== undefined) {
    const accepted = { genuine: 0, skilled: 0, random: 0 };
    for (let k = 0; k < kind.length; k++) {
      if (distances[k] <= threshold) accepted[kind[k] === 0 ? 'genuine' : kind[k] === 1 ? 'skilled' : 'random']++;
    }
    frr = 1 - accepted.genuine / counts.genuine;
    farSkilled = counts.skilled ? accepted.skilled / counts.skilled : NaN;
    farRandom = counts.random ? accepted.random / counts.random : NaN;
  }
  return { skilledEer: skilled.eer, randomEer: random.eer, skilledAuc: skilled.auc, randomAuc: random.auc, threshold: threshold ?? null, frr, farSkilled, farRandom, pairs: counts };
}

/** Options of {@link writerDependentScores}. @group Pairs and evaluation */
export interface WriterDependentOptions {
  /** Reference signatures per writer (k), drawn from its genuine ones. */
  references: number;
  /** Random-forgery questions per writer (other writers' genuine signatures). Default: as many as its questioned genuine ones. */
  randomPerWriter?: number;
  /** Seed of the reference and random-forgery draws. */
  seed: number;
}

/**
 * The writer-dependent protocol: for each writer with more than k genuine
 * signatures, k of them (seeded) are the references; every other genuine
 * signature, every skilled forgery of the writer and some genuine signatures of
 * other writers are questioned. A question's score is its mean distance to the
 * references divided by the mean distance among the references (k >= 2), so
 * one global threshold acts as a threshold per writer scaled to how much that
 * writer varies. Feed the result to {@link forgeryMetrics}.
 *
 * @param distance distance of signatures i and j (indices into `labels`).
 * @group Pairs and evaluation
 */
export function writerDependentScores(
  labels: SignatureLabels,
  distance: (i: number, j: number) => number,
  options: WriterDependentOptions,
): ScoredSignaturePairs & { writer: Int32Array } {
  const fn = 'writerDependentScores';
  checkSignatureLabels(labels, fn);
  const k = options.references;
  check(Number.isInteger(k) && k >= 1, fn, `references must be a positive integer, got ${k}`);
  const rng = new Rng(options.seed);
  const genuine = new Map<number, number[]>();
  for (let i = 0; i < labels.writer.length; i++) {
    if (labels.forged[i]) continue;
    const list = genuine.get(labels.writer[i]) ?? [];
    list.push(i);
    genuine.set(labels.writer[i], list);
  }
  const writers = [...genuine.keys()].filter((w) => genuine.get(w)!.length > k).sort((a, b) => a - b);
  check(writers.length > 0, fn, `no writer has more than ${k} genuine signatures (k references plus one to question)`);
  const scores: number[] = [];
  const kinds: number[] = [];
  const owner: number[] = [];
  for (const w of writers) {
    const g = rng.shuffle([...genuine.get(w)!]);
    const refs = g.slice(0, k);
    let norm = 1;
    if (k >= 2) {
      let s = 0;
      let c = 0;
      for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) (s += distance(refs[a], refs[b]), c++);
      norm = s / c > 0 ? s / c : 1;
    }
    const score = (q: number): number => refs.reduce((s, r) => s + distance(q, r), 0) / k / norm;
    const push = (q: number, kind: number): void => {
      scores.push(score(q));
      kinds.push(kind);
      owner.push(w);
    };
    for (const q of g.slice(k)) push(q, PAIR_KIND.genuine);
    for (let i = 0; i < labels.writer.length; i++) if (labels.forged[i] && labels.writer[i] === w) push(i, PAIR_KIND.skilled);
    const others = [...genuine.keys()].filter((o) => o !== w);
    const nRandom = options.randomPerWriter ?? g.length - k;
    for (let r = 0; r < nRandom && others.length > 0; r++) {
      const og = genuine.get(others[rng.int(others.length)])!;
      push(og[rng.int(og.length)], PAIR_KIND.random);
    }
  }
  return { distances: Float64Array.from(scores), kind: Uint8Array.from(kinds), writer: Int32Array.from(owner) };
}
