/**
 * `contrastive signature ...`: online/offline signature verification (demo,
 * verify, generate). The library is loaded in the actions only, so `--help`
 * needs no TensorFlow.js.
 */
import type { Command } from 'commander';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { SIGNATURE_DEMO_DEFAULTS } from '../jobs/signature-choices.js';
import type { SignatureDemoResult } from '../jobs/signature-demo.js';
import { choices, dflt, finiteNumber, nonNegativeInt, oneOf, optionWithDefault, positiveInt } from './options.js';
import { addModelOptions, openModel } from './bundle-options.js';
import { progressMode, trainProgress } from './progress.js';
import { say, jsonText } from './output.js';

interface VerifyCliOptions {
  model: string;
  threshold?: number;
  writerDependent?: boolean;
  backend: BackendChoice;
  json?: boolean;
}

interface DemoCliOptions {
  writers?: number;
  genuine?: number;
  forgeries?: number;
  testWriters?: number;
  validationWriters?: number;
  length?: number;
  pairs?: number;
  epochs?: number;
  references?: number;
  seed?: number;
  out?: string;
  force?: boolean;
  backend: BackendChoice;
  json?: boolean;
}

interface GenerateCliOptions {
  out: string;
  force?: boolean;
  writers?: number;
  genuine?: number;
  forgeries?: number;
  seed?: number;
  images?: boolean;
}

const pct = (v: number | null): string => (v === null || !Number.isFinite(v) ? '-' : `${(100 * v).toFixed(2)} %`);

function demoTable(r: SignatureDemoResult): string {
  const rows = [
    '| method | skilled EER | random EER | FRR | FAR skilled | FAR random |',
    '|---|---:|---:|---:|---:|---:|',
    `| contrastive (sequence encoder) | ${pct(r.skilledEer)} | ${pct(r.randomEer)} | ${pct(r.network.frr)} | ${pct(r.network.farSkilled)} | ${pct(r.network.farRandom)} |`,
    `| DTW | ${pct(r.dtwSkilledEer)} | ${pct(r.dtwRandomEer)} | ${pct(r.dtw.frr)} | ${pct(r.dtw.farSkilled)} | ${pct(r.dtw.farRandom)} |`,
  ];
  if (r.writerDependent) {
    const w = r.writerDependent;
    rows.push(
      `| contrastive, ${w.references} references per writer | ${pct(w.network.skilledEer)} | ${pct(w.network.randomEer)} | ${pct(w.network.frr)} | ${pct(w.network.farSkilled)} | ${pct(w.network.farRandom)} |`,
      `| DTW, ${w.references} references per writer | ${pct(w.dtw.skilledEer)} | ${pct(w.dtw.randomEer)} | ${pct(w.dtw.frr)} | ${pct(w.dtw.farSkilled)} | ${pct(w.dtw.farRandom)} |`,
    );
  }
  return [
    `Synthetic signatures: ${r.writersTrain} training writers, ${r.writersTest} test writers (never seen in training); FAR/FRR at the threshold calibrated (EER) on validation writers.`,
    ...rows,
    `${r.epochs} epochs (best ${r.bestEpoch}), training ${r.trainSeconds.toFixed(1)} s, DTW ${r.dtwSeconds.toFixed(1)} s, ${r.totalSeconds.toFixed(1)} s in all (${r.backend})${r.bundleDir ? `; model saved in ${r.bundleDir}` : ''}`,
  ].join('\n');
}

/** Registers `contrastive signature` and its subcommands. */
export function registerSignatureCommand(program: Command): void {
  const signature = program.command('signature').description('signature verification: genuine or forged (online pen trajectories or offline images)');

  const verify = signature
    .command('verify')
    .description('is QUESTIONED by the writer of the REFERENCE signature(s)? (SVC2004 .txt, .csv or .json files; images for an offline model)')
    .argument('<files...>', 'REFERENCE... QUESTIONED: one or more reference signatures, then the questioned one');
  addModelOptions(verify)
    .option('--threshold <t>', "accept as genuine when the mean distance <= t (default: the bundle's threshold)", finiteNumber)
    .option('--writer-dependent', "score relative to the references' own spread (2 or more references; the bundle's writer-dependent threshold)")
    .option('--json', 'print one JSON object { distance, threshold, genuine, probability }')
    .action(async (files: string[], o: VerifyCliOptions) => {
      if (files.length < 2) throw new ContrastiveError('INVALID_ARGUMENT', `signature verify: give at least one REFERENCE and the QUESTIONED signature, got ${files.length} file`);
      const questioned = files[files.length - 1];
      const { verifySignature } = await import('../jobs/signature-verify.js');
      const bundle = await openModel(o, 'signature verify');
      try {
        const r = await verifySignature(bundle, files.slice(0, -1), questioned, { threshold: o.threshold, writerDependent: o.writerDependent });
        if (o.json) {
          process.stdout.write(jsonText({ distance: r.distance, threshold: r.threshold, genuine: r.genuine, probability: r.probability }) + '\n');
        } else {
          const p = r.probability === null ? '' : `, p(genuine) ${r.probability.toFixed(4)}`;
          say(
            `${r.genuine ? 'genuine' : 'forged'}: ${o.writerDependent ? 'writer-relative' : 'mean'} distance ${r.distance.toPrecision(6)} to ${r.distances.length} reference(s) ${r.genuine ? '<=' : '>'} threshold ${r.threshold.toPrecision(6)}${p}\n`,
          );
        }
      } finally {
        bundle.network.dispose();
      }
    });

  const d = SIGNATURE_DEMO_DEFAULTS;
  signature
    .command('demo')
    .description('generate synthetic signatures, train on some writers, report EER for skilled and random forgeries on the others, beside DTW')
    .option('--writers <n>', `writers generated ${dflt(d.writers)}`, positiveInt)
    .option('--genuine <n>', `genuine signatures per writer ${dflt(d.genuine)}`, positiveInt)
    .option('--forgeries <n>', `skilled forgeries per writer ${dflt(d.forgeries)}`, nonNegativeInt)
    .option('--test-writers <n>', `writers kept for test ${dflt(d.testWriters)}`, positiveInt)
    .option('--validation-writers <n>', `training writers used for validation and calibration ${dflt(d.validationWriters)}`, positiveInt)
    .option('--length <n>', `points per resampled signature ${dflt(d.length)}`, positiveInt)
    .option('--pairs <n>', `training pairs ${dflt(d.pairs)}`, positiveInt)
    .option('--epochs <n>', `training epochs ${dflt(d.epochs)}`, positiveInt)
    .option('--references <k>', 'also evaluate writer-dependently with k reference signatures per writer (and store that threshold with --out)', positiveInt)
    .option('--seed <n>', `seed of the data and the training ${dflt(d.seed)}`, nonNegativeInt)
    .option('--out <dir>', 'save the trained model bundle here (for signature verify); a folder that holds anything is refused without --force')
    .option('--force', 'replace an --out that already holds files (it is replaced as a whole)')
    .addOption(optionWithDefault('--backend <name>', choices(BACKEND_CHOICES), oneOf(BACKEND_CHOICES), 'auto' as BackendChoice))
    .option('--json', 'print one JSON object { skilledEer, randomEer, dtwSkilledEer, dtwRandomEer, writersTrain, writersTest }')
    .action(async (o: DemoCliOptions) => {
      const { signatureDemo } = await import('../jobs/signature-demo.js');
      const progress = o.json ? undefined : trainProgress(progressMode(false));
      try {
        const r = await signatureDemo({ ...o, backend: o.backend }, progress?.onEvent);
        progress?.stop();
        if (o.json) {
          const { skilledEer, randomEer, dtwSkilledEer, dtwRandomEer, writersTrain, writersTest } = r;
          process.stdout.write(jsonText({ skilledEer, randomEer, dtwSkilledEer, dtwRandomEer, writersTrain, writersTest }) + '\n');
        } else {
          say(demoTable(r) + '\n');
        }
      } finally {
        progress?.stop();
      }
    });

  signature
    .command('generate')
    .description('write a synthetic signature set as DIR/<writer>/genuine|forged/NNN.txt (SVC2004 format) or .png (--images), for --dataset signatures:DIR')
    .requiredOption('--out <dir>', 'folder to write (replaced as a whole; one that holds anything is refused without --force)')
    .option('--force', 'replace an --out that already holds files: everything in it is deleted')
    .option('--writers <n>', `writers ${dflt(d.writers)}`, positiveInt)
    .option('--genuine <n>', `genuine signatures per writer ${dflt(d.genuine)}`, positiveInt)
    .option('--forgeries <n>', `skilled forgeries per writer ${dflt(d.forgeries)}`, nonNegativeInt)
    .option('--seed <n>', `seed ${dflt(d.seed)}`, nonNegativeInt)
    .option('--images', 'write offline signatures: the trajectories drawn as PNG images (CEDAR-style), for --encoder cnn')
    .action(async (o: GenerateCliOptions) => {
      const { syntheticSignatures, writeSignatureSet } = await import('@contrastive/signatures/internal/index.js');
      const { prepareOutputDir, refuseExistingOutput } = await import('@contrastive/node/internal/util/output-dir.js');
      await refuseExistingOutput(o.out, o.out, { fn: 'signature generate', force: o.force, replaces: true });
      await prepareOutputDir(o.out);
      const set = syntheticSignatures({ writers: o.writers, genuine: o.genuine, forgeries: o.forgeries, seed: o.seed });
      await writeSignatureSet(o.out, set, { format: o.images ? 'png' : 'svc2004' });
      say(`wrote ${set.samples.length} signatures of ${set.writers.length} writers to ${o.out}\n`);
    });
}
