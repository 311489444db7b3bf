/**
 * The training flags come from one table with one row per option of the job's
 * and the trainer's schemas: every option has a flag (or a stated reason for
 * none) and every flag is an option; the CLI words the library's rules as flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, type Option } from 'commander';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { registerCommands } from '../../packages/cli/src/cli/commands.js';
import { cliWording } from '../../packages/cli/src/cli/program.js';
import { FLAG_ALIASES, TRAINING_FLAGS, TRAINING_FLAG_NAMES, asFlags, checkEncoderOptions, checkLossOptions, runOptionsOf, trainingValues } from '../../packages/cli/src/cli/training-options.js';
import { jobTrainOptionsSchema, runTrainingOptionsSchema } from '../../packages/cli/src/jobs/job-options.js';
import { LOSS_OPTION_RULES, lossOptionProblem } from '../../packages/contrastive/src/train/loss-rules.js';
import { ROOT } from '../support/cli.js';

const LOADER_FLAGS = ['dataDir', 'imageSize', 'channels', 'skipBadImages', 'storage', 'cacheMb'];
// train's backbone flags: with --backbone they make the job's one `backbone` option.
const BACKBONE_FLAGS = ['backboneLayer', 'backbonePooling', 'fineTune', 'backboneScale', 'backboneMean', 'backboneStd'];

function command(name: string): Command {
  const program = new Command();
  registerCommands(program);
  return program.commands.find((c) => c.name() === name)!;
}

test('every option of the schemas has a row of the flag table, and every row is an option', () => {
  const schemaKeys = [
    ...Object.keys(runTrainingOptionsSchema.entries).filter((k) => k !== 'train' && k !== 'load'),
    ...Object.keys(jobTrainOptionsSchema.entries),
    ...LOADER_FLAGS,
    ...BACKBONE_FLAGS,
    'json',
  ].sort();
  assert.deepEqual(Object.keys(TRAINING_FLAGS).sort(), schemaKeys);
  for (const [key, row] of Object.entries(TRAINING_FLAGS)) {
    if (row.flags === null) assert.ok(row.why.length > 10, `${key} says why it has no flag`);
  }
});

test('train --help: every flag of the table, and no training flag outside it', () => {
  const train = command('train');
  const longs = new Set(train.options.map((o: Option) => o.long));
  for (const flag of TRAINING_FLAG_NAMES) assert.ok(longs.has(flag), `train has ${flag}`);
  const own = ['--preset', '--help'];
  for (const long of longs) assert.ok(TRAINING_FLAG_NAMES.has(long!) || own.includes(long!), `${long} is a row of the table or train's own`);
  // grouped: each table flag sits under its row's heading
  const help = train.helpInformation();
  for (const heading of ['Data:', 'Encoder:', 'Loss and mining:', 'Training:', 'Run and output:']) assert.ok(help.includes(`\n${heading}\n`), heading);
  assert.ok(help.indexOf('--lr <x>') > help.indexOf('Training:') && help.indexOf('--lr <x>') < help.indexOf('Run and output:'));
  // compare and margin take the shared rows, less the ones they replace
  assert.ok(!command('compare').options.some((o: Option) => o.long === '--loss' || o.long === '--resume'));
  assert.ok(!command('margin').options.some((o: Option) => o.long === '--margin' || o.long === '--resume'));
});

test('commander values become the job: lr is learningRate, each option where the schemas put it', () => {
  const train = command('train');
  train.parseOptions(['--lr', '0.01', '--epochs', '2', '--hidden', '8', '--data-dir', '/d', '--no-report', '--miner', 'semi-hard']);
  const o = trainingValues<Parameters<typeof runOptionsOf>[0]>(train.opts());
  assert.equal((o as { learningRate?: number }).learningRate, 0.01);
  const job = runOptionsOf(o);
  assert.deepEqual(job.train, { learningRate: 0.01, epochs: 2, miner: 'semi-hard', distance: 'euclidean', optimizer: 'adam', seed: 42, loss: 'contrastive', resume: false });
  assert.equal(job.report, false);
  assert.deepEqual(job.hidden, [8]);
  assert.deepEqual(job.load, { dataDir: '/d' });
  assert.equal(job.encoder, 'mlp');
  // a loader flag's row says which loader options it sets
  train.parseOptions(['--image-size', '32x16', '--channels', '3', '--skip-bad-images']);
  assert.deepEqual(runOptionsOf(trainingValues(train.opts())).load, { dataDir: '/d', height: 16, width: 32, channels: 3, skipBadImages: true });
});

test('CLI messages name flags: the library rule, worded with the flag (aliases included)', () => {
  const cliMessage = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof ContrastiveError);
      return e.message;
    }
    assert.fail('expected an error');
  };
  assert.equal(cliMessage(() => checkLossOptions('triplet', { posMargin: 0.2 })), '--pos-margin applies to the contrastive loss only, not the triplet loss');
  assert.equal(cliMessage(() => checkLossOptions('contrastive', { memorySize: 8 })), 'a cross-batch memory needs the contrastive loss with an in-batch miner (--memory-size adds pairs to the ones --miner mines)');
  assert.equal(cliMessage(() => checkLossOptions('contrastive', { miner: 'semi-hard', posMargin: 0.6, margin: 0.5 })), '--pos-margin 0.6 must be below the margin (0.5)');
  assert.equal(cliMessage(() => checkEncoderOptions({ encoder: 'sequence', dense: 8 })), '--dense applies to --encoder cnn; this run uses --encoder sequence');
  // one statement of each rule: the CLI's message is the library's, worded as flags
  const input = { loss: 'contrastive' as const, miner: 'hard' };
  assert.equal(cliMessage(() => checkLossOptions(input.loss, input)), asFlags(lossOptionProblem(input)!));
  for (const rule of LOSS_OPTION_RULES) assert.ok(!/--[a-z]/.test(rule.problem.toString()), `${rule.name} names no flag`);
  // the top level rewrites a library message the same way; --lr is learningRate's flag
  assert.equal(FLAG_ALIASES.get('learningRate'), '--lr');
  assert.equal(cliWording('trainSiamese: { learningRate: -1 } must be a positive finite number', new Set(['--lr']), FLAG_ALIASES), 'trainSiamese: --lr -1 must be a positive finite number');
});

test('docs/cli.md: every flag its train synopsis shows is a flag of train', () => {
  const page = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
  const lines = page.split('\n');
  const start = lines.findIndex((l) => l.startsWith('contrastive train '));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('contrastive '));
  const shown = new Set(lines.slice(start, end).join(' ').match(/--[a-z][a-z-]*/g));
  assert.ok(shown.size > 15, `${shown.size} flags in the synopsis`);
  const longs = new Set(command('train').options.map((o: Option) => o.long));
  for (const flag of shown) assert.ok(longs.has(flag), `${flag} (docs/cli.md) is a flag of train`);
});
