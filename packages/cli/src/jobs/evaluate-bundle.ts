/**
 * A saved bundle on a dataset: re-split the data exactly as the training run
 * did (same seed, fractions and held-out classes), score pairs of one split
 * with the bundle's distance (or its cross-entropy head), then report both
 * metric families (`contrastive eval`) or choose and store a threshold
 * (`contrastive calibrate`).
 */
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { loadDataset } from '@contrastive/node/internal/data/index.js';
import { isPairDataset, type LabelledDataset } from 'contrastive/internal/data/types.js';
import { verificationMetrics, accuracyAtThreshold, type RocCurve } from 'contrastive/internal/eval/verification.js';
import { retrievalMetrics, type RetrievalMetrics } from 'contrastive/internal/eval/retrieval.js';
import { evaluationReport, writeReport } from '@contrastive/node/internal/report/index.js';

import { type SplitName } from './choices.js';


import { openBundle, bundleSplit, onePassLoadOptions, type OpenBundle, type BundleDataOptions, type RunSplit } from './bundle-split.js';
import { embedExamples } from 'contrastive/internal/eval/embed-examples.js';
import { examplesOf } from 'contrastive/internal/data/examples.js';
import { scorerOf, embedAll, scoreSplitPairs, pairsFor, bundlePairScores } from './bundle-scoring.js';
import { retrievalDistance } from 'contrastive/internal/eval/held-out-pairs.js';
import { forgeryMetrics, type ForgeryMetrics } from '@contrastive/signatures/internal/evaluation.js';
import type { ProgressListener } from 'contrastive/internal/util/progress.js';
import { refuseOutputOverInput } from '@contrastive/node/internal/util/output-dir.js';
import { datasetReadPaths } from '@contrastive/node/internal/data/specs.js';

// What evaluate-bundle.ts exported before the split, still importable from here.
export { SPLIT_NAMES, type SplitName } from './choices.js';
export { openBundle, runSplitOf, bundleSplit, type OpenBundle, type RunSplit, type BundleDataOptions, type BundleSplitData } from './bundle-split.js';
export { headOf, type PairScorer } from './bundle-scoring.js';
export { calibrateBundle, calibrationTargetName, type BundleCalibration } from './calibrate-bundle.js';

/** What {@link evaluateBundle} returns. @group Evaluation */
export interface BundleEvaluation {
  dataset: string;
  split: SplitName;
  /** Examples (or pairs, for a pairs dataset) in the split. */
  examples: number;
  runSplit: RunSplit;
  verification: {
    pairs: number;
    positives: number;
    negatives: number;
    auc: number;
    eer: number;
    eerThreshold: number;
    /** The bundle's stored threshold, or null when it has none. */
    threshold: number | null;
    /** Accuracy at the bundle's threshold, or null when it has none. */
    accuracy: number | null;
    bestAccuracy: number;
    bestThreshold: number;
    tarAtFar: { '1e-1': number; '1e-2': number; '1e-3': number };
    roc: RocCurve;
  };
  /** Retrieval metrics on the split's embeddings; null for a pairs dataset. */
  retrieval: RetrievalMetrics | null;
  /**
   * signatures:DIR (a split by writer): EER and AUC against skilled and against
   * random forgeries, and FRR / FAR of each at the bundle's threshold; absent otherwise.
   */
  signature?: ForgeryMetrics;
  /** The HTML report written (with `report`), or null. */
  reportFile: string | null;
}

const FN_EVAL = 'evaluateBundle';

/**
 * Evaluates a bundle on one split of a dataset: verification metrics (AUC, EER,
 * accuracy at the bundle's threshold, best accuracy, TAR at FAR) on pairs drawn
 * as the training run drew them, and retrieval metrics (P@1, R-precision,
 * MAP@R, Recall@K) on the split's embeddings. A pairs dataset gives
 * verification only. With the defaults, the run's own dataset and split
 * 'test' reproduce the figures of its metrics.json.
 *
 * @param bundle a bundle directory or an {@link OpenBundle}.
 * @param dataset a dataset spec (see loadDataset).
 * @param options the data, the report file, and `onProgress`, told how the retrieval metrics go (tens of seconds on 60,000 rows).
 * @throws ContrastiveError for a bad bundle or dataset, a split without both kinds of pair, or examples of the wrong size.
 * @group Evaluation
 */
export async function evaluateBundle(
  bundle: string | OpenBundle,
  dataset: string,
  options: BundleDataOptions & { report?: string; onProgress?: ProgressListener } = {},
): Promise<BundleEvaluation> {
  const b = typeof bundle === 'string' ? await openBundle(bundle) : bundle;
  // the report replaces what is at its path (as re-running eval replaces its last report), but never the bundle or the data
  if (options.report !== undefined) {
    const inputs = [{ path: b.dir, what: 'the bundle' }, ...datasetReadPaths(dataset, options.load?.dataDir)];
    await refuseOutputOverInput(options.report, options.report, inputs, { fn: FN_EVAL, flag: '{ report }', file: true });
  }
  const split = options.split ?? 'test';
  const { data, runSplit } = await bundleSplit(b, dataset, split, onePassLoadOptions(b, dataset, options.load), FN_EVAL, options.runSplit);
  const pairs = pairsFor(data, split, runSplit.seed, options, FN_EVAL);
  const scorer = scorerOf(b, FN_EVAL);
  try {
    // read through the split's example store a chunk at a time: a folder streamed from disk is never held whole
    const embeddings = isPairDataset(data) ? undefined : await embedExamples(b.network, data, { embed: (x) => embedAll(b, x) });
    const distances = await scoreSplitPairs(b, data, pairs, scorer, embeddings);
    // a bundle with a cohort states its threshold on S-normalised scores: the figures are on those
    const scores = await bundlePairScores(b, data, pairs, distances, runSplit.seed, FN_EVAL, embeddings);
    const vm = verificationMetrics(scores, pairs.labels);
    const threshold = b.manifest.threshold;
    let retrieval: RetrievalMetrics | null = null;
    if (embeddings && !isPairDataset(data)) {
      // A head scores pairs, not neighbours: retrieval ranks by the embedding's euclidean distance, as runTraining does.
      retrieval = retrievalMetrics(embeddings, data.labels, { dim: b.network.embeddingDim, distance: retrievalDistance(scorer), onProgress: options.onProgress });
    }
    // Signature pairs carry their kind (genuine, skilled, random): one EER per forgery kind, as training reports.
    const kind = 'kind' in data && data.kind instanceof Uint8Array ? data.kind : undefined;
    const signature = kind ? forgeryMetrics({ distances, kind }, threshold ?? undefined) : undefined;
    const result: BundleEvaluation = {
      dataset,
      split,
      examples: data.labels.length,
      runSplit,
      verification: {
        pairs: pairs.labels.length,
        positives: vm.positives,
        negatives: vm.negatives,
        auc: vm.auc,
        eer: vm.eer,
        eerThreshold: vm.eerThreshold,
        threshold,
        accuracy: threshold === null ? null : accuracyAtThreshold(scores, pairs.labels, threshold),
        bestAccuracy: vm.bestAccuracy,
        bestThreshold: vm.bestThreshold,
        tarAtFar: vm.tarAtFar,
        roc: vm.roc,
      },
      retrieval,
      ...(signature ? { signature } : {}),
      reportFile: options.report === undefined ? null : path.resolve(options.report),
    };
    if (result.reportFile) await writeReport(result.reportFile, await evaluationDocument(b, result, Float32Array.from(scores), pairs.labels, isPairDataset(data) ? undefined : data, embeddings));
    return result;
  } finally {
    scorer.head?.dispose();
  }
}

/** The evaluation report's document: figures, ROC, histogram, and the embedding map and neighbour grid of labelled data. */
function evaluationDocument(
  b: OpenBundle,
  r: BundleEvaluation,
  distances: Float32Array,
  labels: Uint8Array,
  data: LabelledDataset | undefined,
  embeddings: Float32Array | undefined,
): ReturnType<typeof evaluationReport> {
  const v = r.verification;
  const m = r.retrieval;
  const margin = (b.manifest.loss as { margin?: number | null } | null)?.margin ?? null;
  const splitText = r.split === 'all' ? 'all examples' : `the ${r.split} split as the training run made it (seed ${r.runSplit.seed})`;
  return evaluationReport({
    subtitle: `${b.dir} on ${r.dataset}, ${splitText}`,
    summary: [
      ['bundle', b.dir],
      ['dataset, split', `${r.dataset}, ${r.split} (${r.examples} examples)`],
      ['held-out classes of the run', r.runSplit.holdoutClasses.length ? r.runSplit.holdoutClasses.join(', ') : 'none'],
      ['AUC / EER', `${v.auc.toFixed(4)} / ${v.eer.toFixed(4)}`],
      ["accuracy at the bundle's threshold", v.accuracy],
      ['best accuracy (threshold)', `${v.bestAccuracy.toFixed(4)} (${v.bestThreshold.toFixed(4)})`],
    ],
    distances,
    labels,
    threshold: v.threshold,
    accuracy: v.accuracy,
    margin,
    retrieval: m ? [['P@1', m.precisionAt1], ['R-precision', m.rPrecision], ['MAP@R', m.mapAtR], ...Object.entries(m.recallAtK).map(([k, x]): [string, number] => [`recall@${k}`, x])] : undefined,
    embeddings:
      data && embeddings
        ? {
            embeddings,
            dim: b.network.embeddingDim,
            labels: data.labels,
            distance: retrievalDistance({ distance: b.network.distanceName, head: (b.manifest.loss as { head?: unknown } | null)?.head }),
            // the grid reads its few images through the store (a streamed split decodes only those)
            images: { x: examplesOf(data), inputShape: data.inputShape },
            classNames: data.classNames,
            map: { seed: r.runSplit.seed },
            grid: { seed: r.runSplit.seed },
          }
        : undefined,
  });
}

/** Where `contrastive eval` writes its report by default: beside the bundle directory, named after the dataset and split. @group Evaluation */
export function defaultEvaluationReportFile(bundleDir: string, dataset: string, split: SplitName): string {
  return path.join(path.dirname(path.resolve(bundleDir)), `eval-${dataset.replace(/[^A-Za-z0-9_-]+/g, '_')}-${split}.html`);
}
