/**
 * The loss comparison: the contrastive loss against the triplet loss and the
 * cross-entropy baseline (a Koch-style head on |e1 - e2|), each trained on the
 * same encoder, data, split, budget and seed, scored the same way.
 *
 * Budget (see the trainer): every loss runs `epochs` epochs. The contrastive
 * and cross-entropy losses train on `pairsPerEpoch` offline pairs per epoch,
 * i.e. 2 x pairsPerEpoch images in batches of `batchSize` pairs. The triplet
 * loss mines triplets inside m-per-class batches of about 2 x batchSize images,
 * floor(2 x pairsPerEpoch / batch) of them per epoch: the same number of images
 * per epoch (up to one batch's rounding), not the same number of pairs.
 *
 * Label convention: 0 = similar pair, 1 = dissimilar pair.
 */
import { embedExamples } from 'contrastive/internal/eval/embed-examples.js';
import path from 'node:path';
import { check } from 'contrastive/internal/errors.js';
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import { prepareOutputDir, refuseExistingOutput } from '@contrastive/node/internal/util/output-dir.js';
import { datasetReadPaths } from '@contrastive/node/internal/data/specs.js';
import { finiteOrNull, fixed } from 'contrastive/internal/util/format.js';
import { isPairDataset, type LabelledDataset } from 'contrastive/internal/data/types.js';
import { loadDataset } from '@contrastive/node/internal/data/index.js';
import { initBackend } from '@contrastive/node/internal/engine/backend.js';
import { verificationMetrics, accuracyAtThreshold } from 'contrastive/internal/eval/verification.js';
import { retrievalMetrics } from 'contrastive/internal/eval/retrieval.js';
// Imported from the modules, not the train barrel: src/train imports src/eval.
import { runTraining, RUN_DEFAULTS, type RunTrainingOptions, type RunMetrics, type EncoderName, type JobTrainConfig } from './run-training.js';
import { type LossName, type TrainEvent } from 'contrastive/internal/train/index.js';
import { scorePairs, drawHeldOutPairs, retrievalDistance } from 'contrastive/internal/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from 'contrastive/internal/train/choices.js';
import { jobSeed, splitFractions, runDirectory } from './defaults.js';
import { refuseFaceDataset } from './face-train.js';
import { compareReport, writeReport } from '@contrastive/node/internal/report/index.js';
import { checkMargin } from 'contrastive/internal/losses/margin.js';
import { splitDataset, subsetDataset } from 'contrastive/internal/data/index.js';

/** The losses {@link compareLosses} can train. */
const COMPARE_LOSSES: readonly LossName[] = ['contrastive', 'triplet', 'cross-entropy'];
/** Seed offset of test pairs: the workflow's, so held-out pairs are drawn the same way. */

/** Options of {@link compareLosses}: a training job (see `runTraining`) plus the losses. @group Studies */
export interface CompareLossesOptions extends Omit<RunTrainingOptions, 'out' | 'train'> {
  /** Losses to train, in table order. Default: contrastive, triplet, cross-entropy. */
  losses?: LossName[];
  /** Trainer settings shared by every loss (epochs, pairsPerEpoch, batchSize, seed, ...). */
  train?: Omit<JobTrainConfig, 'loss' | 'miner'>;
  /** Margin of the triplet loss. Default: `train.margin` (the contrastive margin; default as `runTraining`'s: 0.5 normalised, 1 not). */
  tripletMargin?: number;
  /** In-batch pair miner of the contrastive loss. Default: none (offline balanced pairs). */
  pairMiner?: string;
  /** Triplet miner ('all' | 'hard' | 'semi-hard'). Default: the trainer's ('semi-hard'). */
  tripletMiner?: string;
  /** Comparison directory: one sub-folder per loss, plus compare.json and compare.md. Default `runs/compare-<dataset>-<timestamp>`. */
  out?: string;
  /** The HTML report (table, scores and curves side by side): a file path, default `<out>/report.html`; false writes none. Runs write no report of their own. */
  report?: string | false;
}

/** Verification and retrieval figures of one loss on the evaluated classes. @group Studies */
export interface CompareScores {
  /** Verification pairs: AUC, EER, and accuracy at the threshold calibrated on validation pairs. */
  verification: { auc: number; eer: number; accuracy: number; threshold: number; pairs: number };
  /** Retrieval among the evaluated examples (null for pairs-only data). */
  retrieval: { precisionAt1: number; mapAtR: number; queries: number } | null;
}

/** One loss's row. @group Studies */
export interface CompareRow extends CompareScores {
  loss: LossName;
  miner: string | null;
  /** Margin of the loss (null for cross-entropy, which has none). */
  margin: number | null;
  /** Output directory of this run. */
  runDir: string;
  epochs: number;
  bestEpoch: number;
  /** Optimizer steps per epoch. */
  stepsPerEpoch: number;
  trainSeconds: number;
  /** The run's own metrics on the whole test split (seen and held-out classes). */
  wholeTestSplit: Pick<RunMetrics, 'verification' | 'retrieval'>;
}

/** What {@link compareLosses} returns and writes to compare.json. @group Studies */
export interface CompareResult {
  dataset: string;
  encoder: EncoderName;
  normalize: boolean;
  seed: number;
  epochs: number;
  pairsPerEpoch: number | null;
  batchSize: number;
  holdoutClasses: number[];
  /** What the rows' figures are computed on. */
  evaluatedOn: string;
  /** How the budget was matched across losses, in words. */
  budget: string;
  split: RunMetrics['split'];
  backend: string;
  rows: CompareRow[];
  outDir: string;
  /** The HTML report written, or null. */
  reportFile: string | null;
}

function checkLosses(fn: string, losses: unknown): LossName[] {
  check(Array.isArray(losses) && losses.length > 0, fn, `losses must be a non-empty array of ${COMPARE_LOSSES.join(', ')}`);
  const seen = new Set<string>();
  for (const [k, l] of (losses as unknown[]).entries()) {
    check(typeof l === 'string' && (COMPARE_LOSSES as readonly string[]).includes(l), fn, `losses[${k}] = '${String(l)}' is not a loss (expected ${COMPARE_LOSSES.join(', ')})`);
    check(!seen.has(l), fn, `losses: '${l}' is listed twice`);
    seen.add(l);
  }
  return losses as LossName[];
}

/** The examples of a split whose label is one of `classes`. */
function examplesOf(data: LabelledDataset, classes: ReadonlySet<number>): LabelledDataset {
  const idx: number[] = [];
  for (let i = 0; i < data.labels.length; i++) if (classes.has(data.labels[i])) idx.push(i);
  return subsetDataset(data, idx);
}

/**
 * Trains each loss on the same encoder, data, split, budget and seed, and scores
 * each the same way: verification (AUC, EER, accuracy at the threshold the run
 * calibrated on validation pairs) and retrieval (P@1, MAP@R; Euclidean distance
 * between embeddings, also for the cross-entropy baseline).
 *
 * With `holdoutClasses`, the rows are scored on the held-out classes only: the
 * test split is re-made with the data split API (same seed and fractions) and
 * only its held-out examples are kept; their verification pairs are drawn as the
 * workflow draws test pairs. The runs' whole-test-split figures stay in
 * `wholeTestSplit`. Writes `<out>/compare.json` and `<out>/compare.md`
 * (atomically), each run's outputs in `<out>/<loss>/`.
 *
 * @param onEvent receives each run's training events with the run's loss.
 * @throws ContrastiveError for unknown or repeated losses, held-out classes on
 *   pairs-only data, and every error of `runTraining`.
 * @group Studies
 */
export async function compareLosses(options: CompareLossesOptions, onEvent?: (loss: LossName, e: TrainEvent) => void): Promise<CompareResult> {
  const fn = 'compareLosses';
  check(options !== null && typeof options === 'object', fn, 'options must be an object');
  const losses = checkLosses(fn, options.losses ?? [...COMPARE_LOSSES]);
  const trainCfg = options.train ?? {};
  check((trainCfg as { loss?: unknown }).loss === undefined, fn, 'set the losses with options.losses, not options.train.loss');
  check((trainCfg as { miner?: unknown }).miner === undefined, fn, 'set miners with options.pairMiner (contrastive) and options.tripletMiner, not options.train.miner');
  const seed = jobSeed(trainCfg.seed);
  const normalize = options.normalize ?? RUN_DEFAULTS.normalize;
  const margin = trainCfg.margin ?? (normalize ? RUN_DEFAULTS.marginNormalized : RUN_DEFAULTS.marginUnnormalized);
  const tripletMargin = options.tripletMargin ?? margin;
  checkMargin(tripletMargin, fn, { name: 'tripletMargin', positive: true });
  const distance = trainCfg.distance ?? 'euclidean';
  const batchSize = trainCfg.batchSize ?? 128;
  const { validation: validationFraction, test: testFraction } = splitFractions(options);
  const testPairs = options.testPairs ?? HELD_OUT_PAIRS.test;
  const holdout = options.holdoutClasses ?? [];
  const datasetSpec = options.dataset ?? 'mnist';
  refuseFaceDataset(datasetSpec, 'compare');
  const outDir = runDirectory(options.out, datasetSpec, 'compare-');
  const inputs = datasetReadPaths(datasetSpec, options.load?.dataDir);
  await refuseExistingOutput(outDir, options.out ?? outDir, { force: options.force, fn: 'compare', inputs });
  if (typeof options.report === 'string') await refuseExistingOutput(options.report, options.report, { fn: 'compare', flag: '{ report }', file: true, force: options.force, inputs });
  await prepareOutputDir(outDir, `{ out: ${options.out ?? outDir} }`);

  // With held-out classes, re-make the workflow's split (same seed and fractions) to score them apart.
  let heldOut: LabelledDataset | undefined;
  if (holdout.length > 0) {
    await initBackend(options.backend ?? 'auto');
    const data = await loadDataset(datasetSpec, options.load ?? {});
    check(!isPairDataset(data), fn, `holdoutClasses need class labels; '${datasetSpec}' is a pairs-only dataset`);
    const split = splitDataset(data, { seed, validation: validationFraction, test: testFraction, holdoutClasses: holdout });
    heldOut = examplesOf(split.test, new Set(split.holdoutClasses));
  }

  const { losses: _l, train: _tr, tripletMargin: _tm, pairMiner: _pm, tripletMiner: _tmi, out: _o, report: _r, ...job } = options;
  const rows: CompareRow[] = [];
  let last: RunMetrics | undefined;
  for (const loss of losses) {
    const runDir = path.join(outDir, loss);
    const miner = loss === 'contrastive' ? options.pairMiner : loss === 'triplet' ? (options.tripletMiner ?? 'semi-hard') : undefined;
    const lossMargin = loss === 'triplet' ? tripletMargin : margin;
    let stepsPerEpoch = 0;
    const run = await runTraining(
      {
        ...job,
        dataset: datasetSpec,
        normalize,
        validationFraction,
        testFraction,
        testPairs,
        out: runDir,
        report: false,
        force: true,
        // The positive margin and the cross-batch memory belong to the contrastive loss only.
        train: { ...trainCfg, loss, miner, margin: lossMargin, seed, distance, batchSize, ...(loss === 'contrastive' ? {} : { posMargin: undefined, memorySize: undefined }) },
      },
      (e) => {
        if (e.type === 'start') stepsPerEpoch = e.stepsPerEpoch;
        onEvent?.(loss, e);
      },
    );
    try {
      const m = run.metrics;
      last = m;
      let scores: CompareScores = {
        verification: { auc: m.verification.auc, eer: m.verification.eer, accuracy: m.verification.accuracy, threshold: m.verification.threshold, pairs: m.verification.pairs },
        retrieval: m.retrieval ? { precisionAt1: m.retrieval.precisionAt1, mapAtR: m.retrieval.mapAtR, queries: m.retrieval.queries } : null,
      };
      if (heldOut) {
        const dim = run.network.embeddingDim;
        const emb = await embedExamples(run.network, heldOut); // through the store: a streamed folder is read a chunk at a time
        const pairs = drawHeldOutPairs(heldOut, testPairs, seed ^ HELD_OUT_PAIRS.testSalt);
        const d = scorePairs(emb, emb, dim, pairs.i, pairs.j, { distance, head: run.result.head });
        const vm = verificationMetrics(d, pairs.labels);
        const rm = retrievalMetrics(emb, heldOut.labels, { dim, distance: retrievalDistance({ distance, head: run.result.head }) });
        scores = {
          verification: { auc: vm.auc, eer: vm.eer, accuracy: accuracyAtThreshold(d, pairs.labels, m.verification.threshold), threshold: m.verification.threshold, pairs: pairs.labels.length },
          retrieval: { precisionAt1: rm.precisionAt1, mapAtR: rm.mapAtR, queries: rm.queries },
        };
      }
      rows.push({
        loss,
        miner: miner ?? null,
        margin: loss === 'cross-entropy' ? null : lossMargin,
        runDir,
        ...scores,
        epochs: m.epochs,
        bestEpoch: m.bestEpoch,
        stepsPerEpoch,
        trainSeconds: m.trainSeconds,
        wholeTestSplit: { verification: m.verification, retrieval: m.retrieval },
      });
    } finally {
      run.result.head?.dispose();
      run.network.dispose();
    }
  }

  const epochs = trainCfg.epochs ?? RUN_DEFAULTS.epochs;
  const ppe = trainCfg.pairsPerEpoch ?? null;
  const pairsText = ppe === null ? 'one pair per training example' : `${ppe} pairs`;
  const result: CompareResult = {
    dataset: datasetSpec,
    encoder: options.encoder ?? 'mlp',
    normalize,
    seed,
    epochs,
    pairsPerEpoch: ppe,
    batchSize,
    holdoutClasses: [...holdout].sort((a, b) => a - b),
    evaluatedOn: heldOut
      ? `held-out classes ${[...holdout].sort((a, b) => a - b).join(', ')} only (never seen in training or validation): ${heldOut.labels.length} examples`
      : `the test split (${last?.split.test ?? 0} examples)`,
    budget: compareBudget(losses, options.pairMiner, epochs, pairsText, ppe, batchSize),
    split: last!.split,
    backend: last!.backend,
    rows,
    outDir,
    reportFile: options.report === false ? null : path.resolve(options.report ?? path.join(outDir, 'report.html')),
  };
  if (result.reportFile) await writeReport(result.reportFile, await compareReport(result));
  await writeFileAtomic(path.join(outDir, 'compare.json'), JSON.stringify(result, finiteOrNull, 2) + '\n');
  await writeFileAtomic(path.join(outDir, 'compare.md'), compareMarkdown(result));
  return result;
}

/** What each loss saw per epoch, naming only the losses that ran (a footnote about the triplet loss when it did not run misleads). @group Studies */
export function compareBudget(losses: readonly LossName[], pairMiner: string | undefined, epochs: number, pairsText: string, ppe: number | null, batchSize: number): string {
  const offline = losses.filter((l) => l === 'cross-entropy' || (l === 'contrastive' && pairMiner === undefined));
  const mined = losses.filter((l) => l === 'triplet' || (l === 'contrastive' && pairMiner !== undefined));
  const parts: string[] = [];
  if (offline.length > 0) {
    parts.push(`${pairsText} (${ppe === null ? 'two images per pair' : `${2 * ppe} images`}) per epoch in batches of ${batchSize} pairs for ${offline.join(' and ')}`);
  }
  if (mined.length > 0) {
    const what = mined.map((l) => (l === 'triplet' ? 'triplets (triplet loss)' : 'pairs (contrastive loss)')).join(' and ');
    parts.push(`${offline.length > 0 ? 'the same number of images' : `${pairsText === 'one pair per training example' ? 'two images per training example' : `${2 * (ppe ?? 0)} images`}`} per epoch in m-per-class batches of about ${2 * batchSize} images for ${mined.join(' and ')}, mining ${what} inside each batch`);
  }
  return `${epochs} epoch${epochs === 1 ? '' : 's'}: ${parts.join('; ')}`;
}

/** The comparison as one Markdown table (ready for the README), with a line on what it measures. @group Studies */
export function compareMarkdown(result: CompareResult): string {
  const lines = [
    '| loss | miner | margin | AUC | EER | accuracy | P@1 | MAP@R | train s |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of result.rows) {
    lines.push(
      `| ${r.loss} | ${r.miner ?? '-'} | ${r.margin ?? '-'} | ${fixed(r.verification.auc)} | ${fixed(r.verification.eer)} | ${fixed(r.verification.accuracy)} | ${fixed(r.retrieval?.precisionAt1)} | ${fixed(r.retrieval?.mapAtR)} | ${r.trainSeconds.toFixed(1)} |`,
    );
  }
  const pairs = result.rows[0]?.verification.pairs ?? 0;
  lines.push(
    '',
    `${result.dataset}, ${result.encoder} encoder, ${result.normalize ? 'L2-normalised' : 'unnormalised'} embeddings, seed ${result.seed}, ${result.backend} backend. ` +
      `Scored on ${result.evaluatedOn}; verification on ${pairs} pairs (accuracy at the threshold calibrated on validation pairs). ` +
      `Budget: ${result.budget}.`,
  );
  return lines.join('\n') + '\n';
}
