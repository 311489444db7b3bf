/**
 * Margin selection as a tool: train the same configuration once per margin on a
 * small budget, score each run, recommend one margin.
 *
 * Label convention: 0 = similar pair, 1 = dissimilar pair. The contrastive loss
 * L = (1 - Y) * 1/2 * D^2 + Y * 1/2 * max(0, m - D)^2 only pushes dissimilar
 * pairs closer than m, so m means something only relative to the scale of D:
 * - L2-normalised embeddings (or cosine distance): D lies in [0, 2]; a margin
 *   around 0.5-1 (a quarter to a half of the range) is the usual choice.
 * - Unnormalised embeddings: D has whatever scale the encoder starts with and
 *   drifts during training; choose m relative to the typical distance of
 *   dissimilar pairs at initialisation, which the sweep reports
 *   ({@link MarginSweepResult.initialDistances}). A margin far above it makes
 *   every dissimilar pair active (the loss mostly inflates the embedding); far
 *   below it, almost none are and the negatives stop teaching.
 *
 * Recommendation rule ({@link recommendMargin}): the best validation MAP@R,
 * margins within `tieTolerance` of it count as tied, ties go to the higher
 * validation AUC (again within the tolerance), then to the smaller margin.
 * Selection uses the validation split only; the test figures are reported
 * beside it but never pick the margin (so they stay an unbiased estimate).
 * A pairs-only dataset has no class labels, hence no MAP@R: the rule then
 * starts at validation AUC.
 */
import { embedExamples } from 'contrastive/internal/eval/embed-examples.js';
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import { prepareOutputDir, refuseExistingOutput } from '@contrastive/node/internal/util/output-dir.js';
import { datasetReadPaths } from '@contrastive/node/internal/data/specs.js';
import { finiteOrNull } from 'contrastive/internal/util/format.js';
import { isPairDataset, type LabelledDataset, type PairDataset } from 'contrastive/internal/data/types.js';
import { loadDataset } from '@contrastive/node/internal/data/index.js';
import { SiameseNetwork } from 'contrastive/internal/models/index.js';
import { initBackend } from '@contrastive/node/internal/engine/backend.js';
import { retrievalMetrics } from 'contrastive/internal/eval/retrieval.js';
// Imported from the modules, not the train barrel: src/train imports src/eval.
import { runTraining, buildEncoder, RUN_DEFAULTS, type RunTrainingOptions, type JobTrainConfig } from './run-training.js';
import { type TrainEvent } from 'contrastive/internal/train/index.js';
import { scoreSplit, drawHeldOutPairs } from 'contrastive/internal/eval/held-out-pairs.js';
import { HELD_OUT_PAIRS } from 'contrastive/internal/train/choices.js';
import { pairDiagnostics } from 'contrastive/internal/train/diagnostics.js';
import { marginReport, writeReport } from '@contrastive/node/internal/report/index.js';

import { DEFAULT_SWEEP_EPOCHS } from './choices.js';
import { jobSeed, splitFractions, runDirectory } from './defaults.js';
import { refuseFaceDataset } from './face-train.js';
import { checkMargin } from 'contrastive/internal/losses/margin.js';

import { defaultMargins, recommendMargin, marginRuleOfThumb, budgetNote, type MarginSweepRow, type MarginSweepResult } from './margin-choice.js';
import { splitDataset, splitPairs, checkHeldOutParts } from 'contrastive/internal/data/index.js';

// What margin-sweep.ts exported before the split, still importable from here.
export { DEFAULT_MARGINS_NORMALIZED, DEFAULT_MARGINS_UNNORMALIZED, DEFAULT_SWEEP_EPOCHS } from './choices.js';
export { defaultMargins, marginRuleOfThumb, recommendMargin, marginSweepTable, budgetNote, type MarginSweepRow, type MarginSweepResult } from './margin-choice.js';

/** Options of {@link marginSweep}: a training job (see `runTraining`) plus the margins. @group Studies */
export interface MarginSweepOptions extends Omit<RunTrainingOptions, 'out' | 'train'> {
  /** Margins to try (positive, distinct). Default: {@link defaultMargins} for the normalisation. */
  margins?: number[];
  /** Trainer settings shared by every run; `margin` is set per run. Default epochs: 3. */
  train?: Omit<JobTrainConfig, 'margin'>;
  /** Loss whose margin is swept: 'contrastive' (default) or 'triplet'. */
  loss?: 'contrastive' | 'triplet';
  /** Sweep directory: one sub-folder per margin, plus sweep.json. Default `runs/margin-<dataset>-<timestamp>`. */
  out?: string;
  /** Scores closer than this count as tied in {@link recommendMargin}. Default 0.005. */
  tieTolerance?: number;
  /** The HTML report (table and curves side by side): a file path, default `<out>/report.html`; false writes none. Runs write no report of their own. */
  report?: string | false;
}

function checkMargins(fn: string, margins: unknown): number[] {
  check(Array.isArray(margins) && margins.length > 0, fn, 'margins must be a non-empty array of positive numbers');
  const seen = new Set<number>();
  for (const [k, m] of (margins as unknown[]).entries()) {
    checkMargin(m, fn, { name: `margins[${k}]`, positive: true });
    check(!seen.has(m), fn, `margins: ${m} is listed twice`);
    seen.add(m);
  }
  return margins as number[];
}

/**
 * The untrained encoder of a run, built as `runTraining` builds it (same kind,
 * sizes and seed), to measure the distance scale before any training.
 */
type Splits = { train: LabelledDataset | PairDataset; validation: LabelledDataset | PairDataset };

/**
 * Trains one run per margin (same data, split, encoder, seed and budget),
 * scores each on validation (AUC, EER, MAP@R) and test (from the run's
 * metrics), and recommends a margin with {@link recommendMargin}. Each run
 * writes its usual outputs to `<out>/margin-<m>/`; the result goes to
 * `<out>/sweep.json` (atomically). A run whose loss diverges is kept as a row
 * with `error` and the sweep goes on.
 *
 * @param onEvent receives each run's training events with the run's margin.
 * @throws ContrastiveError for bad margins, a loss without margin, and every
 *   error of `runTraining` (unknown dataset, bad options).
 * @group Studies
 */
export async function marginSweep(options: MarginSweepOptions, onEvent?: (margin: number, e: TrainEvent) => void): Promise<MarginSweepResult> {
  const fn = 'marginSweep';
  check(options !== null && typeof options === 'object', fn, 'options must be an object');
  const loss = options.loss ?? 'contrastive';
  check(loss === 'contrastive' || loss === 'triplet', fn, `loss must be 'contrastive' or 'triplet' (the losses with a margin), got '${String(loss)}'`);
  const trainCfg = options.train ?? {};
  check((trainCfg as { loss?: unknown }).loss === undefined, fn, "set the swept loss with options.loss, not options.train.loss");
  const distance = trainCfg.distance ?? 'euclidean';
  const normalize = options.normalize ?? RUN_DEFAULTS.normalize;
  const margins = checkMargins(fn, options.margins ?? defaultMargins({ normalize, distance }));
  const tieTolerance = options.tieTolerance ?? 0.005;
  check(Number.isFinite(tieTolerance) && tieTolerance >= 0, fn, `tieTolerance must be a finite number >= 0, got ${tieTolerance}`);
  const seed = jobSeed(trainCfg.seed);
  const epochs = trainCfg.epochs ?? DEFAULT_SWEEP_EPOCHS;
  const { validation: validationFraction, test: testFraction } = splitFractions(options);
  const datasetSpec = options.dataset ?? 'mnist';
  refuseFaceDataset(datasetSpec, 'margin');
  const outDir = runDirectory(options.out, datasetSpec, 'margin-');
  await refuseExistingOutput(outDir, options.out ?? outDir, { force: options.force, fn: 'margin', inputs: datasetReadPaths(datasetSpec, options.load?.dataDir) });
  await prepareOutputDir(outDir, `{ out: ${options.out ?? outDir} }`);

  // The same split runTraining makes (same seed and fractions), for validation MAP@R and the initial scale.
  await initBackend(options.backend ?? 'auto');
  const data = await loadDataset(datasetSpec, options.load ?? {});
  const fractions = { seed, validation: validationFraction, test: testFraction };
  let split: Splits;
  if (isPairDataset(data)) split = splitPairs(data, fractions);
  else {
    const parts = splitDataset(data, { ...fractions, holdoutClasses: options.holdoutClasses, validationClasses: options.validationClasses });
    checkHeldOutParts(data, parts, fn);
    split = parts;
  }
  const valPairs = drawHeldOutPairs(split.validation, trainCfg.validationPairs ?? HELD_OUT_PAIRS.validation, seed ^ HELD_OUT_PAIRS.validationSalt);

  const initial = new SiameseNetwork(buildEncoder(options.encoder ?? 'mlp', data.inputShape, options, seed), { distance, normalize });
  let initialDistances: MarginSweepResult['initialDistances'];
  try {
    const d = await scoreSplit(initial, split.validation, valPairs, { distance });
    const diag = pairDiagnostics(d, valPairs.labels, 1);
    initialDistances = { meanPositive: diag.meanPositive, meanNegative: diag.meanNegative, pairs: diag.pairCount };
  } finally {
    initial.dispose();
  }

  const { margins: _m, loss: _l, out: _o, tieTolerance: _t, train: _tr, report: _r, ...job } = options;
  const rows: MarginSweepRow[] = [];
  for (const margin of margins) {
    const runDir = path.join(outDir, `margin-${margin}`);
    try {
      const run = await runTraining(
        {
          ...job,
          dataset: datasetSpec,
          normalize,
          validationFraction,
          testFraction,
          out: runDir,
          report: false,
          force: true,
          train: { ...trainCfg, loss, margin, seed, epochs, distance },
        },
        onEvent ? (e) => onEvent(margin, e) : undefined,
      );
      try {
        const m = run.metrics;
        const best = run.result.history[Math.max(0, run.result.bestEpoch - 1)];
        let valMapAtR: number | null = null;
        if (!isPairDataset(split.validation)) {
          const emb = await embedExamples(run.network, split.validation); // through the store: a streamed folder is read a chunk at a time
          valMapAtR = retrievalMetrics(emb, split.validation.labels, { dim: run.network.embeddingDim, distance }).mapAtR;
        }
        const diag = best?.diagnostics;
        rows.push({
          margin,
          runDir,
          validation: { auc: best?.validation?.auc ?? NaN, eer: best?.validation?.eer ?? NaN, mapAtR: valMapAtR },
          test: {
            auc: m.verification.auc,
            eer: m.verification.eer,
            accuracy: m.verification.accuracy,
            mapAtR: m.retrieval?.mapAtR ?? null,
            precisionAt1: m.retrieval?.precisionAt1 ?? null,
          },
          diagnostics: diag ? { meanPositive: diag.meanPositive, meanNegative: diag.meanNegative, activeNegativeFraction: diag.activeNegativeFraction } : null,
          epochs: m.epochs,
          bestEpoch: m.bestEpoch,
          trainSeconds: m.trainSeconds,
        });
      } finally {
        run.network.dispose();
      }
    } catch (err) {
      // A margin that makes the loss diverge is a finding of the sweep, not a failure of it.
      if (!(err instanceof ContrastiveError && err.code === 'NUMERIC')) throw err;
      rows.push({
        margin,
        runDir,
        validation: { auc: NaN, eer: NaN, mapAtR: null },
        test: { auc: NaN, eer: NaN, accuracy: NaN, mapAtR: null, precisionAt1: null },
        diagnostics: null,
        epochs: 0,
        bestEpoch: 0,
        trainSeconds: 0,
        error: err.message,
      });
    }
  }

  const recommended = recommendMargin(rows, tieTolerance);
  const hasMap = rows.some((r) => r.validation.mapAtR !== null);
  const result: MarginSweepResult = {
    dataset: datasetSpec,
    encoder: options.encoder ?? 'mlp',
    loss,
    normalize,
    distance,
    seed,
    epochs,
    pairsPerEpoch: trainCfg.pairsPerEpoch ?? null,
    margins: [...margins],
    rows,
    recommended,
    rule: `${hasMap ? `best validation MAP@R; within ${tieTolerance} counts as a tie, broken by` : 'best'} validation AUC${hasMap ? '' : ` (within ${tieTolerance} counts as a tie)`}, then by the smaller margin`,
    initialDistances,
    ruleOfThumb: marginRuleOfThumb({ normalize, distance, initialMeanNegative: initialDistances.meanNegative }),
    budgetNote: budgetNote(rows, recommended, epochs),
    outDir,
    reportFile: options.report === false ? null : path.resolve(options.report ?? path.join(outDir, 'report.html')),
  };
  if (result.reportFile) await writeReport(result.reportFile, await marginReport(result));
  await writeFileAtomic(path.join(outDir, 'sweep.json'), JSON.stringify(result, finiteOrNull, 2) + '\n');
  return result;
}
