/** `contrastive eval`: verification and retrieval metrics of a bundle on one split of a dataset. */
import type { Command } from 'commander';
import { BACKEND_CHOICES, initBackend, type BackendChoice } from '../engine/backend.js';
import { ContrastiveError } from '../errors.js';
import { evaluateBundle, defaultEvaluationReportFile, openBundle, SPLIT_NAMES, type BundleDataOptions, type BundleEvaluation, type OpenBundle, type SplitName } from '../jobs/evaluate-bundle.js';
import type { LoadDatasetOptions } from '../data/index.js';
import { imageSize, nonNegativeInt, oneOf, positiveInt } from './options.js';

/** Options of eval and calibrate that say which data to use. */
export interface BundleDataCliOptions {
  model: string;
  dataset?: string;
  split?: SplitName;
  pairs?: number;
  seed?: number;
  dataDir?: string;
  imageSize?: [number, number];
  channels?: number;
  backend: BackendChoice;
  json?: boolean;
}

/** Adds --model, --dataset, --split, --pairs, --seed, loader options and --backend. */
export function addBundleDataOptions(cmd: Command, defaultSplit: SplitName): Command {
  return cmd
    .requiredOption('--model <dir>', 'model bundle directory (the model/ folder of a run)')
    .option('--dataset <spec>', "mnist | fashion-mnist | idx:DIR | folder:DIR | pairs:FILE.csv (default: the bundle's training dataset)")
    .option('--split <name>', `${SPLIT_NAMES.join(' | ')}: a split as the training run made it (same seed and fractions), or the whole dataset`, oneOf(SPLIT_NAMES), defaultSplit)
    .option('--pairs <n>', 'pairs drawn from the split (default 10000, as training drew them)', positiveInt)
    .option('--seed <n>', 'seed of the pair draw (default: the one the training run used)', nonNegativeInt)
    .option('--data-dir <dir>', 'where fashion-mnist (or other files) live')
    .option('--image-size <WxH>', "resize images of folder:/pairs: datasets (default: the bundle's input size)", imageSize)
    .option('--channels <n>', '1 or 3 for folder:/pairs: datasets (default: the bundle\'s)', positiveInt)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object');
}

/** Initialises the backend, opens the bundle and resolves the dataset spec and data options. */
export async function openForData(o: BundleDataCliOptions, command: string): Promise<{ bundle: OpenBundle; dataset: string; data: BundleDataOptions }> {
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${command}: --channels must be 1 or 3, got ${o.channels}`);
  }
  await initBackend(o.backend);
  const bundle = await openBundle(o.model);
  const dataset = o.dataset ?? bundle.manifest.training?.dataset;
  if (!dataset) throw new ContrastiveError('INVALID_ARGUMENT', `${command}: --dataset is required: the bundle ${o.model} does not name its training dataset`);
  const load: LoadDatasetOptions = { dataDir: o.dataDir, height: o.imageSize?.[0], width: o.imageSize?.[1], channels: o.channels as 1 | 3 | undefined };
  return { bundle, dataset, data: { split: o.split, pairs: o.pairs, seed: o.seed, load } };
}

/**
 * JSON text of a result: typed arrays become arrays, and the non-finite numbers
 * JSON cannot hold (the ROC's first threshold is -Infinity) become the strings
 * "Infinity" / "-Infinity" / "NaN", which Number() reads back.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : String(x)));
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
}

const f4 = (x: number | null): string => (x === null ? '-' : Number.isFinite(x) ? x.toFixed(4) : String(x));

function printTable(model: string, r: BundleEvaluation): void {
  const v = r.verification;
  const s = r.runSplit;
  const split = r.split === 'all' ? 'all examples' : `split ${r.split} (seed ${s.seed}, validation ${s.validation}, test ${s.test}, held out ${s.holdoutClasses.length ? s.holdoutClasses.join(',') : 'none'}; from ${s.source})`;
  const lines = [
    `model    ${model}`,
    `dataset  ${r.dataset}, ${split}: ${r.examples} examples`,
    '',
    `verification on ${v.pairs} pairs (${v.positives} similar, ${v.negatives} dissimilar)`,
    `  AUC                       ${f4(v.auc)}`,
    `  EER                       ${f4(v.eer)}   at threshold ${f4(v.eerThreshold)}`,
    v.threshold === null
      ? '  accuracy                  -        (the bundle has no threshold: run contrastive calibrate)'
      : `  accuracy                  ${f4(v.accuracy)}   at the bundle's threshold ${f4(v.threshold)}`,
    `  best accuracy             ${f4(v.bestAccuracy)}   at threshold ${f4(v.bestThreshold)}`,
    ...Object.entries(v.tarAtFar).map(([far, tar]) => `  ${`TAR at FAR=${far}`.padEnd(26)}${f4(tar)}`),
  ];
  if (r.retrieval) {
    const m = r.retrieval;
    lines.push(
      '',
      `retrieval on ${m.queries} queries`,
      `  precision@1               ${f4(m.precisionAt1)}`,
      `  R-precision               ${f4(m.rPrecision)}`,
      `  MAP@R                     ${f4(m.mapAtR)}`,
      ...Object.entries(m.recallAtK).map(([k, x]) => `  ${`recall@${k}`.padEnd(26)}${f4(x)}`),
    );
  } else {
    lines.push('', 'retrieval: - (a pairs dataset has no class labels)');
  }
  if (r.reportFile) lines.push('', `report: ${r.reportFile}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerEvalCommand(program: Command): void {
  const cmd = program.command('eval').description('verification (AUC, EER, accuracy, TAR@FAR) and retrieval (P@1, MAP@R, ...) metrics of a bundle on a dataset split');
  addBundleDataOptions(cmd, 'test')
    .option('--roc', 'include the ROC curve (fpr, tpr, thresholds) in the JSON output')
    .option('--report <file>', 'HTML report file (default: eval-<dataset>-<split>.html beside the bundle directory)')
    .option('--no-report', 'write no HTML report')
    .action(async (o: BundleDataCliOptions & { roc?: boolean; report?: string | false }) => {
      const { bundle, dataset, data } = await openForData(o, 'eval');
      try {
        const report = o.report === false ? undefined : (o.report ?? defaultEvaluationReportFile(o.model, dataset, data.split ?? 'test'));
        const r = await evaluateBundle(bundle, dataset, { ...data, report });
        if (o.json) {
          const { roc, ...verification } = r.verification;
          process.stdout.write(toJson({ model: o.model, ...r, verification: o.roc ? { ...verification, roc } : verification }) + '\n');
        } else {
          printTable(o.model, r);
        }
      } finally {
        bundle.network.dispose();
      }
    });
}
