/**
 * Signatures as a dataset the trainer and the evaluators take: a
 * {@link LabelledDataset} (online signatures as [length, features] sequences,
 * offline ones as images) that also says who wrote each signature and whether
 * it is a forgery, split by writer so that test writers are never seen in
 * training (writer-independent verification).
 */
import { check } from 'contrastive/internal/errors.js';
import { Rng } from 'contrastive/internal/util/rng.js';
import { exampleSize, type LabelledDataset, type PairDataset } from 'contrastive/internal/data/types.js';
import type { Preprocessing } from 'contrastive/internal/models/index.js';

import type { SignatureLabels, SignatureSet } from './signature-set.js';
import { preprocessSignatures, type SignaturePreprocessing } from './preprocess.js';
import { forgeryMetrics, type ForgeryMetrics } from './evaluation.js';
import { signaturePairs, evaluationPairs, type SignaturePairOptions, type SignaturePairs } from './pairs.js';
import { subsetDataset } from 'contrastive/internal/data/index.js';

/**
 * A labelled dataset of signatures. Class labels: writer w's genuine
 * signatures are class w, its skilled forgeries class W + w (W writers), so
 * class-based tools (retrieval, plain pairs) never call a forgery similar to a
 * genuine signature; `signature` holds the writer and forgery flags that the
 * signature pair construction uses.
 * @group Pairs and evaluation
 */
export interface SignatureDataset extends LabelledDataset {
  signature: SignatureLabels & {
    /** Writer names, indexed by writer. */
    writers: string[];
    /** Online preprocessing settings, or null for offline (image) signatures. */
    preprocessing: SignaturePreprocessing | null;
  };
}

/** True when `data` carries writer and forgery labels (it came from signatures:DIR or the generator). @group Pairs and evaluation */
export function isSignatureDataset(data: unknown): data is SignatureDataset {
  return typeof data === 'object' && data !== null && 'signature' in data && 'x' in data && 'labels' in data;
}

/** Class labels of signatures (see {@link SignatureDataset}) and their names. @group Pairs and evaluation */
export function signatureClasses(labels: SignatureLabels, writers: string[]): { labels: Int32Array; classNames: string[] } {
  const W = writers.length;
  return {
    labels: Int32Array.from(labels.writer, (w, i) => (labels.forged[i] ? W + w : w)),
    classNames: [...writers, ...writers.map((w) => `${w}/forged`)],
  };
}

/** An online signature set, preprocessed into a dataset of [length, features] sequences. @group Pairs and evaluation */
export function onlineSignatureDataset(name: string, set: SignatureSet, preprocessing: SignaturePreprocessing): SignatureDataset {
  const x = preprocessSignatures(set.samples.map((s) => s.trajectory), preprocessing);
  const labels: SignatureLabels = {
    writer: Int32Array.from(set.samples, (s) => s.writer),
    forged: Uint8Array.from(set.samples, (s) => (s.forged ? 1 : 0)),
  };
  const classes = signatureClasses(labels, set.writers);
  return {
    name,
    inputShape: [preprocessing.length!, preprocessing.features.length],
    x,
    labels: classes.labels,
    numClasses: 2 * set.writers.length,
    classNames: classes.classNames,
    sources: set.samples.map((s) => s.source),
    signature: { ...labels, writers: set.writers.slice(), preprocessing },
  };
}

/** The signatures at `indices` (copies), keeping writer numbering and names. @group Pairs and evaluation */
export function subsetSignatures(data: SignatureDataset, indices: ArrayLike<number>): SignatureDataset {
  const base = subsetDataset(data, indices);
  return {
    ...base,
    signature: {
      writer: Int32Array.from(indices, (i) => data.signature.writer[i]),
      forged: Uint8Array.from(indices, (i) => data.signature.forged[i]),
      writers: data.signature.writers,
      preprocessing: data.signature.preprocessing,
    },
  };
}

/** Options of {@link splitSignatureWriters}. @group Pairs and evaluation */
export interface WriterSplitOptions {
  /** Writers for validation: a count (>= 1) or a fraction in [0, 1). */
  validation: number;
  /** Writers for test: a count (>= 1) or a fraction in [0, 1). */
  test: number;
  seed: number;
}

/** The three writer-disjoint parts of a signature dataset. @group Pairs and evaluation */
export interface WriterSplit {
  train: SignatureDataset;
  validation: SignatureDataset;
  test: SignatureDataset;
}

/**
 * Splits by writer: each writer's genuine signatures and forgeries go
 * together to train, validation or test (writers shuffled with `seed`).
 * Counts >= 1 are numbers of writers, smaller values fractions of them.
 *
 * @throws ContrastiveError when a part would have no writer or the counts exceed the writers.
 * @group Pairs and evaluation
 */
export function splitSignatureWriters(data: SignatureDataset, options: WriterSplitOptions): WriterSplit {
  const fn = 'splitSignatureWriters';
  const present = [...new Set(data.signature.writer)].sort((a, b) => a - b);
  const W = present.length;
  const count = (v: number, name: string): number => {
    check(Number.isFinite(v) && v >= 0, fn, `${name} must be a writer count or a fraction, got ${v}`);
    // A fraction of a few writers still gives each part one writer.
    return v >= 1 ? Math.floor(v) : v > 0 ? Math.max(1, Math.round(v * W)) : 0;
  };
  const nVal = count(options.validation, 'validation');
  const nTest = count(options.test, 'test');
  check(nVal >= 1 && nTest >= 1, fn, `validation and test need at least one writer each (of ${W}); got ${nVal} and ${nTest}`);
  check(nVal + nTest < W, fn, `${nVal} validation + ${nTest} test writers leave none of the ${W} writers for training`);
  const order = new Rng(options.seed).shuffle(present.slice());
  const part = new Map<number, 'train' | 'validation' | 'test'>();
  order.forEach((w, k) => part.set(w, k < nTest ? 'test' : k < nTest + nVal ? 'validation' : 'train'));
  const idx = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  data.signature.writer.forEach((w, i) => idx[part.get(w)!].push(i));
  return { train: subsetSignatures(data, idx.train), validation: subsetSignatures(data, idx.validation), test: subsetSignatures(data, idx.test) };
}

/** Pairs of signatures as a {@link PairDataset}, the form the trainer takes fixed pairs in (the signatures are shared, not copied per pair). @group Pairs and evaluation */
export function signaturePairDataset(data: SignatureDataset, pairs: SignaturePairs): PairDataset & { kind: Uint8Array } {
  const src = data.sources;
  return {
    name: `${data.name} pairs`,
    inputShape: data.inputShape.slice(),
    x: data.x,
    a: Int32Array.from(pairs.i),
    b: Int32Array.from(pairs.j),
    labels: pairs.labels.slice(),
    kind: pairs.kind.slice(),
    ...(src ? { sources: Array.from(pairs.i, (i, k) => `${src[i]} | ${src[pairs.j[k]]}`) } : {}),
  };
}

/** Draws signature pairs of `data` (see {@link signaturePairs}) as a {@link PairDataset}. @group Pairs and evaluation */
export function drawSignaturePairs(data: SignatureDataset, options: SignaturePairOptions): PairDataset & { kind: Uint8Array } {
  return signaturePairDataset(data, signaturePairs(data.signature, options));
}

/** Random-forgery pairs per genuine signature in evaluation pairs, so the random EER rests on more than a handful of pairs. @group Pairs and evaluation */
export const RANDOM_PAIRS_PER_GENUINE = 5;

/** Options of {@link signatureTrainingSplit}. @group Pairs and evaluation */
export interface SignatureTrainingSplitOptions extends WriterSplitOptions {
  /** Training pairs (drawn once; the trainer reshuffles them every epoch). Default: 4 per training signature. */
  pairs?: number;
  /** Share of skilled forgeries among dissimilar training pairs. Default 0.5 (0 when the training writers have no forgeries). */
  skilledShare?: number;
}

/**
 * The pairs a training job uses, writer-independent: writers split into
 * train, validation and test; training pairs drawn from the training writers
 * ({@link signaturePairs}); validation and test pairs are all the evaluation
 * pairs of their writers ({@link evaluationPairs}). Each carries `kind` for
 * {@link forgeryMetrics}.
 * @group Pairs and evaluation
 */
export function signatureTrainingSplit(
  data: SignatureDataset,
  options: SignatureTrainingSplitOptions,
): { train: PairDataset & { kind: Uint8Array }; validation: PairDataset & { kind: Uint8Array }; test: PairDataset & { kind: Uint8Array } } {
  const parts = splitSignatureWriters(data, options);
  const hasForgeries = parts.train.signature.forged.some((f) => f === 1);
  const pairs = options.pairs ?? 4 * parts.train.labels.length;
  const evaluation = (d: SignatureDataset, salt: number): PairDataset & { kind: Uint8Array } =>
    signaturePairDataset(d, evaluationPairs(d.signature, { randomPerGenuine: RANDOM_PAIRS_PER_GENUINE, seed: options.seed ^ salt }));
  return {
    train: drawSignaturePairs(parts.train, { count: pairs, skilledShare: options.skilledShare ?? (hasForgeries ? 0.5 : 0), seed: options.seed }),
    validation: evaluation(parts.validation, 0x5eed),
    test: evaluation(parts.test, 0x7e57),
  };
}

/**
 * What a training job adds for signatures: the test figures per forgery kind
 * at the calibrated threshold, and the bundle preprocessing (online: the
 * sequence with its signature settings; offline: undefined, the image default).
 * @group Pairs and evaluation
 */
export function signatureRunExtras(
  data: SignatureDataset,
  test: LabelledDataset | PairDataset,
  testDistances: ArrayLike<number>,
  threshold: number,
): { metrics: ForgeryMetrics; preprocessing: Preprocessing | undefined } {
  check('kind' in test && test.kind instanceof Uint8Array, 'signatureRunExtras', 'the test split must come from signatureTrainingSplit (pairs with kinds)');
  const p = data.signature.preprocessing;
  return {
    metrics: forgeryMetrics({ distances: testDistances, kind: test.kind }, threshold),
    preprocessing: p ? { kind: 'sequence', features: p.features.length, normalize: 'none', rawInput: { ...p } } : undefined,
  };
}
