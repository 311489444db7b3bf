/**
 * Pair construction for signature verification: two genuine signatures of one
 * writer are similar (label 0); a genuine signature with a skilled forgery of
 * the same writer, or with another writer's genuine signature (a "random
 * forgery"), is dissimilar (label 1). The share of similar pairs and the share
 * of skilled forgeries among the dissimilar ones are options.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { Rng } from 'contrastive/internal/util/rng.js';
import type { IndexPairs } from 'contrastive/internal/data/types.js';
import { checkSignatureLabels, type SignatureLabels } from './signature-set.js';

/** What kind of pair each pair is. @group Pairs and evaluation */
export const PAIR_KINDS = ['genuine', 'skilled', 'random'] as const;
/** genuine: two genuine signatures of one writer; skilled: genuine + skilled forgery; random: genuine + another writer's genuine. @group Pairs and evaluation */
export type PairKind = (typeof PAIR_KINDS)[number];
/** Code of each kind in {@link SignaturePairs.kind}. @group Pairs and evaluation */
export const PAIR_KIND = { genuine: 0, skilled: 1, random: 2 } as const;

/** Index pairs with their labels (0 similar, 1 dissimilar) and kinds (see {@link PAIR_KIND}). @group Pairs and evaluation */
export interface SignaturePairs extends IndexPairs {
  kind: Uint8Array;
}

/** Options of {@link signaturePairs}. @group Pairs and evaluation */
export interface SignaturePairOptions {
  /** Number of pairs. */
  count: number;
  /** Share of similar (genuine-genuine) pairs. Default 0.5. */
  positiveFraction?: number;
  /** Share of skilled forgeries among the dissimilar pairs (the rest are random forgeries). Default 0.5. */
  skilledShare?: number;
  /** Seed of the draw. */
  seed: number;
}

/** Genuine and forged signature indices of each writer. */
function byWriter(labels: SignatureLabels): { genuine: Map<number, number[]>; forged: Map<number, number[]> } {
  const genuine = new Map<number, number[]>();
  const forged = new Map<number, number[]>();
  for (let i = 0; i < labels.writer.length; i++) {
    const map = labels.forged[i] ? forged : genuine;
    const list = map.get(labels.writer[i]);
    if (list) list.push(i);
    else map.set(labels.writer[i], [i]);
  }
  return { genuine, forged };
}

/**
 * Draws `count` pairs: round(count x positiveFraction) genuine pairs (a writer
 * with two genuine signatures, then two distinct ones), and of the rest a share
 * `skilledShare` of skilled-forgery pairs (a writer with forgeries, one genuine
 * and one forgery) and the others random-forgery pairs (two distinct writers,
 * a genuine of each). Writers are drawn uniformly, so prolific writers do not
 * dominate. The pairs come out shuffled; same seed, same pairs.
 *
 * @throws ContrastiveError when the labels cannot give a kind of pair that is
 *   asked for (no writer with two genuine signatures, no forgeries, one writer).
 * @group Pairs and evaluation
 */
export function signaturePairs(labels: SignatureLabels, options: SignaturePairOptions): SignaturePairs {
  const fn = 'signaturePairs';
  checkSignatureLabels(labels, fn);
  const { count, seed } = options;
  const positiveFraction = options.positiveFraction ?? 0.5;
  const skilledShare = options.skilledShare ?? 0.5;
  check(Number.isInteger(count) && count >= 1, fn, `count must be a positive integer, got ${count}`);
  check(positiveFraction >= 0 && positiveFraction <= 1, fn, `positiveFraction must be in [0, 1], got ${positiveFraction}`);
  check(skilledShare >= 0 && skilledShare <= 1, fn, `skilledShare must be in [0, 1], got ${skilledShare}`);
  check(Number.isInteger(seed), fn, `seed must be an integer, got ${seed}`);
  const { genuine, forged } = byWriter(labels);
  const positives = Math.round(count * positiveFraction);
  const skilled = Math.round((count - positives) * skilledShare);
  const random = count - positives - skilled;

  const withTwo = [...genuine.keys()].filter((w) => genuine.get(w)!.length >= 2).sort((a, b) => a - b);
  const withForged = [...forged.keys()].filter((w) => genuine.has(w)).sort((a, b) => a - b);
  const writers = [...genuine.keys()].sort((a, b) => a - b);
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${what}`);
  };
  if (positives > 0) need(withTwo.length > 0, 'similar pairs need a writer with at least two genuine signatures; none has');
  if (skilled > 0) need(withForged.length > 0, 'skilled-forgery pairs need a writer with both genuine signatures and forgeries; none has (set skilledShare 0)');
  if (random > 0) need(writers.length >= 2, `random-forgery pairs need genuine signatures of two writers; there are ${writers.length}`);

  const rng = new Rng(seed);
  const i = new Int32Array(count);
  const j = new Int32Array(count);
  const kind = new Uint8Array(count);
  const pick = (list: number[]): number => list[rng.int(list.length)];
  let k = 0;
  for (let p = 0; p < positives; p++, k++) {
    const list = genuine.get(pick(withTwo))!;
    const a = rng.int(list.length);
    const b = (a + 1 + rng.int(list.length - 1)) % list.length;
    [i[k], j[k], kind[k]] = [list[a], list[b], PAIR_KIND.genuine];
  }
  for (let p = 0; p < skilled; p++, k++) {
    const w = pick(withForged);
    [i[k], j[k], kind[k]] = [pick(genuine.get(w)!), pick(forged.get(w)!), PAIR_KIND.skilled];
  }
  for (let p = 0; p < random; p++, k++) {
    const a = rng.int(writers.length);
    const b = (a + 1 + rng.int(writers.length - 1)) % writers.length;
    [i[k], j[k], kind[k]] = [pick(genuine.get(writers[a])!), pick(genuine.get(writers[b])!), PAIR_KIND.random];
  }
  const order = rng.shuffle(Int32Array.from({ length: count }, (_, q) => q));
  const out: SignaturePairs = {
    i: Int32Array.from(order, (q) => i[q]),
    j: Int32Array.from(order, (q) => j[q]),
    kind: Uint8Array.from(order, (q) => kind[q]),
    labels: new Uint8Array(count),
  };
  for (let q = 0; q < count; q++) out.labels[q] = out.kind[q] === PAIR_KIND.genuine ? 0 : 1;
  return out;
}

/**
 * Every evaluation pair of a set of writers: all pairs of distinct genuine
 * signatures of each writer, all (genuine, skilled forgery) pairs of each
 * writer, and for each genuine signature `randomPerGenuine` genuine signatures
 * of other writers drawn at random (seeded). The protocol of the evaluation:
 * no sampling noise in the genuine and skilled figures.
 * @group Pairs and evaluation
 */
export function evaluationPairs(labels: SignatureLabels, options: { randomPerGenuine?: number; seed: number }): SignaturePairs {
  const fn = 'evaluationPairs';
  checkSignatureLabels(labels, fn);
  const perGenuine = options.randomPerGenuine ?? 1;
  check(Number.isInteger(perGenuine) && perGenuine >= 0, fn, `randomPerGenuine must be a non-negative integer, got ${perGenuine}`);
  const { genuine, forged } = byWriter(labels);
  const writers = [...genuine.keys()].sort((a, b) => a - b);
  const rng = new Rng(options.seed);
  const i: number[] = [];
  const j: number[] = [];
  const kind: number[] = [];
  for (const w of writers) {
    const g = genuine.get(w)!;
    for (let a = 0; a < g.length; a++) for (let b = a + 1; b < g.length; b++) (i.push(g[a]), j.push(g[b]), kind.push(PAIR_KIND.genuine));
    for (const f of forged.get(w) ?? []) for (const a of g) (i.push(a), j.push(f), kind.push(PAIR_KIND.skilled));
    if (writers.length < 2) continue;
    for (const a of g) {
      for (let r = 0; r < perGenuine; r++) {
        const other = writers[(writers.indexOf(w) + 1 + rng.int(writers.length - 1)) % writers.length];
        const og = genuine.get(other)!;
        i.push(a);
        j.push(og[rng.int(og.length)]);
        kind.push(PAIR_KIND.random);
      }
    }
  }
  const k = Uint8Array.from(kind);
  return { i: Int32Array.from(i), j: Int32Array.from(j), kind: k, labels: Uint8Array.from(k, (v) => (v === PAIR_KIND.genuine ? 0 : 1)) };
}
