/**
 * The signature demo (`contrastive signature demo`): generates a synthetic set
 * of online signatures, trains the sequence encoder with the contrastive loss
 * on some writers, and measures writer-independent verification on the others
 * (EER for skilled and for random forgeries), beside the classical DTW
 * baseline on the same features and pairs.
 */
import { check } from 'contrastive/internal/errors.js';
import { squaredDifference } from 'contrastive/internal/distances/squared-difference.js';
import { initBackend, type BackendChoice, type BackendName } from '@contrastive/node/internal/engine/backend.js';
import { SIGNATURE_DEMO_DEFAULTS } from './signature-choices.js';
import { SiameseNetwork, sequenceEncoder } from 'contrastive/internal/models/index.js';
import { calibrateThreshold, fitPlatt } from 'contrastive/internal/eval/index.js';
import { trainSiamese, type TrainEvent } from 'contrastive/internal/train/trainer.js';
import { syntheticSignatures, signaturePreprocessing, onlineSignatureDataset, splitSignatureWriters, drawSignaturePairs, evaluationPairs, RANDOM_PAIRS_PER_GENUINE, signaturePairDataset, forgeryMetrics, writerDependentScores, signatureDistances, dtwDistance, type ForgeryMetrics, type SignatureDataset, type SignaturePairs, type SignatureFeature } from '@contrastive/signatures/internal/index.js';
import { saveBundle } from '@contrastive/node/internal/models/bundle.js';
import { prepareOutputDir, refuseExistingOutput } from '@contrastive/node/internal/util/output-dir.js';

/** Options of {@link signatureDemo}. @group Signatures */
export interface SignatureDemoOptions {
  /** Writers generated. Default 100. */
  writers?: number;
  /** Genuine signatures per writer. Default 20. */
  genuine?: number;
  /** Skilled forgeries per writer. Default 10. */
  forgeries?: number;
  /** Writers kept for test (never seen in training). Default 30. */
  testWriters?: number;
  /** Of the remaining writers, those used for validation (early stopping, threshold calibration). Default 10. */
  validationWriters?: number;
  /** Points per resampled signature. Default 64. */
  length?: number;
  /** Features per point. Default x, y, vx, vy, pressure, pen. */
  features?: SignatureFeature[];
  /** Training pairs (drawn once, reshuffled every epoch). Default 12000. */
  pairs?: number;
  /** Share of skilled forgeries among the dissimilar training pairs. Default 0.5. */
  skilledShare?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Contrastive margin (embeddings are L2-normalised). Default 0.5. */
  margin?: number;
  embeddingDim?: number;
  /** Conv widths of the sequence encoder. Default [32, 64]. */
  filters?: number[];
  /** Writer-dependent evaluation with this many reference signatures per test writer (also reported). */
  references?: number;
  seed?: number;
  backend?: BackendChoice;
  /** Save the trained model as a bundle here (usable by `signature verify`; with `references`, also `--writer-dependent`). */
  out?: string;
  /** Replace an `out` that already holds anything (it is replaced as a whole); default: refuse it. */
  force?: boolean;
}

export { SIGNATURE_DEMO_DEFAULTS };

/** What {@link signatureDemo} returns; the first six fields are what `signature demo --json` prints. @group Signatures */
export interface SignatureDemoResult {
  /** EER of the network, genuine vs skilled forgeries of the test writers. */
  skilledEer: number;
  /** EER of the network, genuine vs random forgeries of the test writers. */
  randomEer: number;
  dtwSkilledEer: number;
  dtwRandomEer: number;
  /** Writers the network was trained on (training + validation). */
  writersTrain: number;
  writersTest: number;
  /** Network figures with FAR / FRR at the threshold calibrated (EER) on the validation writers. */
  network: ForgeryMetrics;
  /** DTW figures, its threshold calibrated the same way. */
  dtw: ForgeryMetrics;
  /** Writer-dependent figures with k references, when asked for. */
  writerDependent?: { references: number; network: ForgeryMetrics; dtw: ForgeryMetrics };
  epochs: number;
  bestEpoch: number;
  trainSeconds: number;
  dtwSeconds: number;
  totalSeconds: number;
  backend: BackendName;
  bundleDir?: string;
}

/** DTW distances of index pairs of a dataset's sequences. */
function dtwPairs(data: SignatureDataset, pairs: { i: ArrayLike<number>; j: ArrayLike<number> }): Float64Array {
  const [L, F] = data.inputShape;
  const size = L * F;
  const row = (i: number): Float32Array => data.x.subarray(i * size, (i + 1) * size);
  return Float64Array.from({ length: pairs.i.length }, (_, k) => dtwDistance(row(pairs.i[k]), row(pairs.j[k]), F));
}

/** Threshold at the validation EER, then the test figures at it. */
function measure(valDist: ArrayLike<number>, valPairs: SignaturePairs, testDist: ArrayLike<number>, testPairs: SignaturePairs): ForgeryMetrics {
  const threshold = calibrateThreshold(valDist, valPairs.labels, { kind: 'eer' }).threshold;
  return forgeryMetrics({ distances: testDist, kind: testPairs.kind }, threshold);
}

/**
 * Runs the demo: generate, split writers (test, validation, train), train,
 * calibrate on validation writers, measure on test writers, and the same for DTW.
 * @group Signatures
 */
export async function signatureDemo(options: SignatureDemoOptions = {}, onEvent?: (e: TrainEvent) => void): Promise<SignatureDemoResult> {
  const t0 = Date.now();
  const o = { ...SIGNATURE_DEMO_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof SIGNATURE_DEMO_DEFAULTS & SignatureDemoOptions;
  check(o.testWriters + o.validationWriters < o.writers, 'signatureDemo', `${o.testWriters} test + ${o.validationWriters} validation writers leave none of ${o.writers} for training`);
  if (o.out !== undefined) {
    // before any work: the bundle replaces --out as a whole, so what is there goes only with --force
    await refuseExistingOutput(o.out, o.out, { fn: 'signature demo', force: o.force, replaces: true });
    await prepareOutputDir(o.out);
  }
  const backend = await initBackend(o.backend ?? 'auto');
  const preprocessing = signaturePreprocessing({ length: o.length, ...(o.features ? { features: o.features } : {}) }, 'signatureDemo');

  const set = syntheticSignatures({ writers: o.writers, genuine: o.genuine, forgeries: o.forgeries, seed: o.seed });
  const data = onlineSignatureDataset('synthetic-signatures', set, preprocessing);
  const split = splitSignatureWriters(data, { validation: o.validationWriters, test: o.testWriters, seed: o.seed });
  const trainPairs = drawSignaturePairs(split.train, { count: o.pairs, skilledShare: o.skilledShare, seed: o.seed });
  const valPairs = evaluationPairs(split.validation.signature, { randomPerGenuine: RANDOM_PAIRS_PER_GENUINE, seed: o.seed ^ 0x5eed });
  const testPairs = evaluationPairs(split.test.signature, { randomPerGenuine: RANDOM_PAIRS_PER_GENUINE, seed: o.seed ^ 0x7e57 });

  const [L, F] = data.inputShape;
  const network = new SiameseNetwork(
    sequenceEncoder({ features: F, length: L, filters: [...o.filters], embeddingDim: o.embeddingDim, seed: o.seed }),
    { normalize: true },
  );
  try {
    const result = await trainSiamese(
      network,
      { train: trainPairs, validation: signaturePairDataset(split.validation, valPairs) },
      { margin: o.margin, epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, seed: o.seed, monitor: 'eer', patience: 0 },
      onEvent,
    );
    const netVal = await signatureDistances(network, split.validation, valPairs);
    const netTest = await signatureDistances(network, split.test, testPairs);
    const netMetrics = measure(netVal, valPairs, netTest, testPairs);

    const tDtw = Date.now();
    const dtwVal = dtwPairs(split.validation, valPairs);
    const dtwTest = dtwPairs(split.test, testPairs);
    const dtwMetrics = measure(dtwVal, valPairs, dtwTest, testPairs);
    const dtwSeconds = (Date.now() - tDtw) / 1000;

    let writerDependent: SignatureDemoResult['writerDependent'];
    if (o.references !== undefined) {
      const k = o.references;
      writerDependent = { references: k, ...(await writerDependentFigures(network, split.validation, split.test, k, o.seed)) };
    }
    let bundleDir: string | undefined;
    if (o.out) {
      const platt = fitPlatt(netVal, valPairs.labels);
      await saveBundle(o.out, network, {
        preprocessing: { kind: 'sequence', features: F, normalize: 'none', rawInput: { ...preprocessing } },
        loss: { name: 'contrastive', convention: 'hadsell', margin: o.margin },
        threshold: netMetrics.threshold,
        calibration: { target: 'eer', dataset: `synthetic signatures, ${o.validationWriters} validation writers`, probability: { model: 'logistic', a: platt.a, b: platt.b } },
        training: { dataset: `synthetic-signatures (seed ${o.seed}, ${o.writers} writers)`, epochs: result.history.length, bestEpoch: result.bestEpoch, seed: o.seed },
        metrics: {
          signature: {
            skilledEer: netMetrics.skilledEer,
            randomEer: netMetrics.randomEer,
            farSkilled: netMetrics.farSkilled,
            farRandom: netMetrics.farRandom,
            frr: netMetrics.frr,
            // What `signature verify --writer-dependent` compares its normalised score with.
            ...(writerDependent ? { writerDependent: { references: writerDependent.references, threshold: writerDependent.network.threshold } } : {}),
          },
        },
      });
      bundleDir = o.out;
    }
    return {
      skilledEer: netMetrics.skilledEer,
      randomEer: netMetrics.randomEer,
      dtwSkilledEer: dtwMetrics.skilledEer,
      dtwRandomEer: dtwMetrics.randomEer,
      writersTrain: o.writers - o.testWriters,
      writersTest: o.testWriters,
      network: netMetrics,
      dtw: dtwMetrics,
      ...(writerDependent ? { writerDependent } : {}),
      epochs: result.history.length,
      bestEpoch: result.bestEpoch,
      trainSeconds: result.seconds,
      dtwSeconds,
      totalSeconds: (Date.now() - t0) / 1000,
      backend,
      ...(bundleDir ? { bundleDir } : {}),
    };
  } finally {
    network.dispose();
  }
}

/** Writer-dependent scores (k references) for the network and DTW, thresholds from the validation writers. */
async function writerDependentFigures(
  network: SiameseNetwork,
  validation: SignatureDataset,
  test: SignatureDataset,
  k: number,
  seed: number,
): Promise<{ network: ForgeryMetrics; dtw: ForgeryMetrics }> {
  const [L, F] = test.inputShape;
  const size = L * F;
  const figures = async (distanceOf: (d: SignatureDataset) => Promise<(i: number, j: number) => number>): Promise<ForgeryMetrics> => {
    const val = writerDependentScores(validation.signature, await distanceOf(validation), { references: k, seed });
    const tst = writerDependentScores(test.signature, await distanceOf(test), { references: k, seed });
    const y = Uint8Array.from(val.kind, (v) => (v === 0 ? 0 : 1));
    const threshold = calibrateThreshold(val.distances, y, { kind: 'eer' }).threshold;
    return forgeryMetrics(tst, threshold);
  };
  const embedded = async (d: SignatureDataset): Promise<(i: number, j: number) => number> => {
    const emb = await network.embedBatched(d.x);
    const dim = network.embeddingDim;
    return (i, j) => Math.sqrt(squaredDifference(emb, i * dim, emb, j * dim, dim));
  };
  const dtw = async (d: SignatureDataset): Promise<(i: number, j: number) => number> => (i, j) =>
    dtwDistance(d.x.subarray(i * size, (i + 1) * size), d.x.subarray(j * size, (j + 1) * size), F);
  return { network: await figures(embedded), dtw: await figures(dtw) };
}
