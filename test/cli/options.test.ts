/**
 * The CLI's parsing, checks and messages without running a command: numeric
 * options validated at parse time, options that would be ignored or cannot
 * work together refused with the option named, help defaults from the
 * library's constants, one error style, and no TensorFlow.js for --help.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { registerCommands } from '../../packages/cli/src/cli/commands.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { channelCount, finiteNumber, imageSize, nonNegativeInt, openFraction, positiveInt } from '../../packages/cli/src/cli/options.js';
import { checkDatasetOptions, checkEncoderOptions, checkLossOptions } from '../../packages/cli/src/cli/training-options.js';
import { resolveModelDir, splitWarning } from '../../packages/cli/src/cli/bundle-options.js';
import { tarAtFarWarnings } from '../../packages/cli/src/cli/eval.js';
import { plural, signed } from '../../packages/cli/src/cli/output.js';
import { eventJson } from '../../packages/cli/src/cli/progress.js';
import { ROOT, cli } from '../support/cli.js';

const refused = (fn: () => unknown, ...needles: string[]): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ContrastiveError || e instanceof InvalidArgumentError, String(e));
    for (const n of needles) assert.ok((e as Error).message.includes(n), `'${(e as Error).message}' names '${n}'`);
    return true;
  });
};

test('numeric options are checked when parsed: empty, fractional, out of range and non-finite values are refused', () => {
  assert.equal(positiveInt('3'), 3);
  refused(() => positiveInt(''), "''");
  refused(() => positiveInt('1.5'), '1.5');
  refused(() => nonNegativeInt('-1'), '-1');
  refused(() => finiteNumber('Infinity'), 'Infinity');
  refused(() => finiteNumber(' '), 'finite');
  assert.equal(finiteNumber('-1'), -1); // the sign of a threshold is checked against the bundle's distance
  refused(() => openFraction('0'), '(0, 1)');
  refused(() => channelCount('2'), '1 (grayscale) or 3 (RGB)');
  assert.deepEqual(imageSize('32'), [32, 32]);
});

test('options a dataset would ignore are refused, naming the option', () => {
  refused(() => checkDatasetOptions({ dataset: 'mnist', dataDir: '/data' }), '--data-dir', 'mnist');
  refused(() => checkDatasetOptions({ dataset: 'mnist', imageSize: [32, 32] }), '--image-size', 'mnist');
  refused(() => checkDatasetOptions({ dataset: 'fashion-mnist', channels: 3 }), '--channels');
  refused(() => checkDatasetOptions({ dataset: 'mnist', skipBadImages: true }), '--skip-bad-images');
  refused(() => checkDatasetOptions({ dataset: 'pairs:p.csv', holdoutClasses: [1] }), '--holdout-classes');
  checkDatasetOptions({ dataset: 'fashion-mnist', dataDir: '/data' });
  checkDatasetOptions({ dataset: 'folder:faces', imageSize: [32, 32], channels: 3, skipBadImages: true });
  refused(() => checkEncoderOptions({ encoder: 'cnn', hidden: [64] }), '--hidden', '--encoder mlp');
  refused(() => checkEncoderOptions({ encoder: 'mlp', filters: [8] }), '--filters', '--encoder cnn');
});

test('loss, miner and margin combinations that cannot work are refused (CLI side)', () => {
  refused(() => checkLossOptions('cross-entropy', { miner: 'semi-hard' }), '--miner', 'cross-entropy');
  refused(() => checkLossOptions('cross-entropy', { margin: 0.5 }), '--margin', 'cross-entropy');
  refused(() => checkLossOptions('contrastive', { miner: 'hard' }), '--miner hard', 'hard-negative');
  refused(() => checkLossOptions('triplet', { miner: 'pair-margin' }), '--miner pair-margin', 'semi-hard');
  refused(() => checkLossOptions('contrastive', { mPerClass: 4 }), '--m-per-class');
  checkLossOptions('contrastive', { miner: 'semi-hard', mPerClass: 4 });
  checkLossOptions('triplet', { miner: 'hard', margin: 0.2 });
});

test('messages: plurals, signed formula terms, TAR at a FAR below 1/negatives, a split that cannot be reproduced', () => {
  assert.equal(plural(1, 'epoch'), '1 epoch');
  assert.equal(plural(2, 'epoch'), '2 epochs');
  assert.equal(`exp(2 * d${signed(-8.70047)})`, 'exp(2 * d - 8.70047)');
  assert.equal(`exp(2 * d${signed(1.5)})`, 'exp(2 * d + 1.50000)');
  const w = tarAtFarWarnings({ '1e-1': 1, '1e-2': 1, '1e-3': 1 }, 8);
  assert.equal(w.length, 3); // 8 negatives: FAR 0.1, 0.01 and 0.001 all fall below 1/8
  assert.match(w[2], /FAR=1e-3 rests on 8 dissimilar pairs \(fewer than 1\/FAR = 1000\)/);
  assert.deepEqual(tarAtFarWarnings({ '1e-3': 0.9 }, 5000), []);
  assert.match(splitWarning('test', { seed: 42, validation: 0.1, test: 0.2, holdoutClasses: [], source: 'defaults' }) ?? '', /does not record how its training data was split.*--seed/);
  assert.equal(splitWarning('test', { seed: 1, validation: 0.1, test: 0.2, holdoutClasses: [], source: 'manifest' }), null);
  assert.equal(splitWarning('all', { seed: 42, validation: 0.1, test: 0.2, holdoutClasses: [], source: 'defaults' }), null);
});

test('JSON step events count epochs and steps from 1, as epoch records do', () => {
  const line = JSON.parse(eventJson({ type: 'step', epoch: 0, step: 9, steps: 10, loss: 0.5 }, 'contrastive'));
  assert.deepEqual(line, { run: 'contrastive', type: 'step', epoch: 1, step: 10, steps: 10, loss: 0.5 });
});

test('--model may name a run directory: its model/ bundle is used', async () => {
  const run = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-model-'));
  await fs.mkdir(path.join(run, 'model'));
  await fs.writeFile(path.join(run, 'model', 'manifest.json'), '{}');
  assert.equal(resolveModelDir(run), path.join(run, 'model'));
  assert.equal(resolveModelDir(path.join(run, 'model')), path.join(run, 'model'));
  assert.equal(resolveModelDir(path.join(run, 'nope')), path.join(run, 'nope'));
});

/** Runs node from the repository with the tsx loader, returning stdout. */
function nodeEval(code: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('help is built without TensorFlow.js: registering every command loads no tensor engine', () => {
  const out = nodeEval(
    "import { Command } from 'commander'; import { registerCommands } from './packages/cli/src/cli/commands.ts';" +
      "const p = new Command(); registerCommands(p); const names = p.commands.map((c) => c.name()).join(',');" +
      "console.log(names + ' ' + typeof globalThis._tfengine);",
  );
  assert.equal(out, 'train,backend,eval,verify,calibrate,margin,compare,embed,export,signature,index,serve,face undefined');
  // the check itself works: importing TF.js creates the engine
  assert.equal(nodeEval("await import('@tensorflow/tfjs'); console.log(typeof globalThis._tfengine);"), 'object');
});

test('every help text writes defaults one way, from the constants the code uses', () => {
  const help = (cmd: string): string => {
    const r = cli(cmd, '--help');
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.replace(/\s+/g, ' ');
  };
  const margin = help('margin');
  assert.match(margin, /--epochs <n> epochs \(default: 3\)/);
  const calibrate = help('calibrate');
  assert.doesNotMatch(calibrate, /\{"kind"/);
  assert.match(calibrate, /--target <t> .*\(default: accuracy\)/);
  const train = help('train');
  for (const flag of ['--monitor <metric>', '--miner <name>', '--image-size <WxH>', '--channels <n>', '--backend <name>']) {
    const entry = train.slice(train.indexOf(flag), train.indexOf(' --', train.indexOf(flag) + flag.length));
    assert.match(entry, /\(default: |default: /, `${flag} shows a default: ${entry}`);
  }
  assert.match(train, /auto \| tensorflow \| wasm \| cpu \(default: auto\)/);
  for (const text of [margin, calibrate, train]) assert.doesNotMatch(text, /\(default [^:]|default: "/, 'one style: (default: X), unquoted');
});

test('faces:DIR, --skip-no-face and face calibrate are in the help; the face threshold says where it comes from', () => {
  const program = new Command();
  registerCommands(program);
  const help = (...names: string[]): string => names.reduce((c: Command, n) => c.commands.find((x) => x.name() === n)!, program).helpInformation().replace(/\s+/g, ' ');
  const train = help('train');
  assert.match(train, /--dataset <spec> mnist \| fashion-mnist \| idx:DIR \| folder:DIR \| pairs:FILE\.csv \| signatures:DIR \| faces:DIR/);
  assert.match(train, /--skip-no-face faces:DIR: leave out photos without a face the detector finds/);
  assert.match(help('face', 'enroll'), /--skip-no-face leave out photos in which the detector finds no face/);
  assert.match(help('face'), /calibrate \[options\] choose the face threshold on your own people/);
  const calibrate = help('face', 'calibrate');
  for (const flag of ['--dataset <spec> faces:DIR', '--model <dir>', '--skip-no-face', '--folds <n>', '--json']) assert.ok(calibrate.includes(flag), flag);
  assert.match(help('face', 'verify'), /--threshold <t> .*the pretrained 0\.4749 comes from augmented sample crops, face calibrate finds yours/);
  // eval's --dataset lists what a bundle is evaluated on: not faces:DIR
  assert.doesNotMatch(help('eval'), /faces:DIR/);
  refused(() => checkDatasetOptions({ dataset: 'faces:people', imageSize: [32, 32] }), '--image-size', 'faces:people');
});
