/**
 * The trainer's and the training job's options, stated once in valibot schemas:
 * defaults, the unknown-key check and one message per rule come from them, the
 * loss rules are shared with the CLI, and library messages name options as a
 * caller writes them, never as command-line flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { DEFAULT_TRAIN_CONFIG, TRAIN_CONFIG_KEYS, resolveTrainConfig } from '../../packages/contrastive/src/train/config.js';
import { trainOptionsSchema } from '../../packages/contrastive/src/train/options.js';
import { LOSS_OPTION_RULES, TRAINER_LOSS_RULES, lossOptionProblem, type LossRuleInput } from '../../packages/contrastive/src/train/loss-rules.js';
import { checkRunTrainingOptions, jobTrainOptionsSchema, runTrainingOptionsSchema } from '../../packages/cli/src/jobs/job-options.js';

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ContrastiveError, String(e));
    assert.equal(e.code, 'INVALID_ARGUMENT');
    return e.message;
  }
  assert.fail('expected an error');
};

test('the schema gives the defaults and the key list: no option listed by hand', () => {
  assert.deepEqual(resolveTrainConfig({}), DEFAULT_TRAIN_CONFIG);
  assert.deepEqual([...TRAIN_CONFIG_KEYS].sort(), Object.keys(trainOptionsSchema.entries).sort());
  // undefined keeps the default; a given value wins
  assert.equal(resolveTrainConfig({ epochs: undefined, margin: 0.3 }).epochs, DEFAULT_TRAIN_CONFIG.epochs);
  assert.equal(resolveTrainConfig({ margin: 0.3 }).margin, 0.3);
  // the job's trainer options are the trainer's, less those the job sets itself
  const job = Object.keys(jobTrainOptionsSchema.entries).sort();
  assert.deepEqual(job, TRAIN_CONFIG_KEYS.filter((k) => k !== 'checkpointDir' && k !== 'checkpointStore').sort());
});

test('unknown keys are refused by the library and by the job, naming them and the known ones', () => {
  const lib = messageOf(() => resolveTrainConfig({ epochz: 3, lr: 1 } as never));
  assert.match(lib, /^trainSiamese: unknown options 'epochz', 'lr' \(known: loss, margin, .*callbacks\)$/);
  const top = messageOf(() => checkRunTrainingOptions({ dataset: 'mnist', epochs: 3 } as never));
  assert.match(top, /^runTraining: unknown option 'epochs' \(known: dataset, load, .*\)$/);
  const nested = messageOf(() => checkRunTrainingOptions({ train: { epochs: 3, learningrate: 1 } } as never));
  assert.match(nested, /unknown option 'learningrate' in train \(known: loss, margin, /);
  // the job writes its checkpoints itself: a checkpoint location of the caller's would be overridden
  assert.match(messageOf(() => checkRunTrainingOptions({ train: { checkpointDir: '/tmp/x' } } as never)), /unknown option 'checkpointDir' in train/);
  checkRunTrainingOptions({ dataset: 'mnist', encoder: 'cnn', filters: [8], train: { epochs: 1, distance: 'cosine', miner: 'semi-hard' } });
});

test('one message per rule, naming the option and the bad value', () => {
  const cases: Array<[object, string]> = [
    [{ epochs: 0 }, '{ epochs: 0 } must be a positive integer'],
    [{ epochs: 1.5 }, '{ epochs: 1.5 } must be a positive integer'],
    [{ epochs: '3' }, "{ epochs: '3' } must be a positive integer"],
    [{ batchSize: 1 }, '{ batchSize: 1 } must be an integer >= 2'],
    [{ learningRate: Infinity }, '{ learningRate: Infinity } must be a positive finite number'],
    [{ positiveFraction: 1 }, '{ positiveFraction: 1 } must be in (0, 1)'],
    [{ augmentErase: 1 }, '{ augmentErase: 1 } must be a probability in [0, 1)'],
    [{ augmentAffine: { rotate: -1 } }, '{ augmentAffine: an object } must be { rotate?, scale?, shear? }: rotate degrees in [0, 180]'],
    [{ lrSchedule: 'step' }, "{ lrSchedule: 'step' } is not one of constant, cosine"],
    [{ distance: 'manhattan' }, "{ distance: 'manhattan' } is not one of euclidean, squaredEuclidean, cosine, or a distance object"],
    [{ miner: 3 }, '{ miner: 3 } must be a miner name or a miner function'],
  ];
  for (const [options, expected] of cases) {
    const message = messageOf(() => resolveTrainConfig(options as never));
    assert.ok(message.startsWith(`trainSiamese: ${expected}`), `${message} starts with ${expected}`);
  }
  // every problem at once, each with its own message
  assert.equal(messageOf(() => resolveTrainConfig({ epochs: 0, patience: -1 })), 'trainSiamese: { epochs: 0 } must be a positive integer; { patience: -1 } must be a non-negative integer');
  assert.match(messageOf(() => checkRunTrainingOptions({ train: { margin: 0 }, validationClasses: 1.5 })), /\{ validationClasses: 1.5 \} must be in \(0, 1\); \{ margin: 0 \} must be a positive finite number/);
  assert.equal(messageOf(() => checkRunTrainingOptions({ encoder: 'cnn', hidden: [64] })), "runTraining: { hidden } applies to { encoder: 'mlp' }; this run uses { encoder: 'cnn' }");
});

test('the loss rules: each holds or fails with its one message; the trainer checks those it can tell', () => {
  const fails: Array<[string, LossRuleInput]> = [
    ['miner-cross-entropy', { loss: 'cross-entropy', miner: 'semi-hard' }],
    ['miner-loss-function', { loss: '(function)', miner: 'all' }],
    ['pair-miner', { loss: 'contrastive', miner: 'hard' }],
    ['triplet-miner', { loss: 'triplet', miner: 'pair-margin' }],
    ['margin-cross-entropy', { loss: 'cross-entropy', margin: 0.5 }],
    ['m-per-class-offline', { loss: 'contrastive', mPerClass: 4 }],
    ['pos-margin-contrastive', { loss: 'triplet', posMargin: 0.2 }],
    ['pos-margin-below-margin', { loss: 'contrastive', posMargin: 0.6, margin: 0.5 }],
    ['memory-needs-miner', { loss: 'contrastive', memorySize: 64 }],
  ];
  assert.deepEqual(fails.map(([name]) => name).sort(), LOSS_OPTION_RULES.map((r) => r.name).sort(), 'every rule has a failing case here');
  for (const [name, input] of fails) {
    const rule = LOSS_OPTION_RULES.find((r) => r.name === name)!;
    assert.equal(lossOptionProblem(input), rule.problem(input), `${name} is the first rule to fail on its case`);
    assert.doesNotMatch(rule.problem(input)!, /--[a-z]/, 'a library message names no flag');
  }
  for (const ok of [
    { loss: 'contrastive', miner: 'semi-hard', mPerClass: 4, memorySize: 64, posMargin: 0.1, margin: 0.5 },
    { loss: 'triplet', miner: 'hard', margin: 0.2 },
    { loss: 'cross-entropy' },
    { loss: '(function)', mPerClass: 4 },
  ] as LossRuleInput[]) {
    assert.equal(lossOptionProblem(ok), undefined, JSON.stringify(ok));
  }
  assert.deepEqual(
    LOSS_OPTION_RULES.filter((r) => !TRAINER_LOSS_RULES.includes(r)).map((r) => r.name),
    ['margin-cross-entropy', 'm-per-class-offline'],
    'the trainer skips only the rules about options it would ignore',
  );
});

test('library option messages never name a command-line flag', () => {
  const bad: Array<() => unknown> = [
    () => resolveTrainConfig({ epochs: 0, learningRate: -1, miner: 3 as never, sampleWeights: 1 } as never),
    () => checkRunTrainingOptions({ encoder: 'mlp', filters: [8], train: { lr: 1 } } as never),
    () => checkRunTrainingOptions({ testPairs: 1, backend: 'gpu' as never, report: true as never }),
  ];
  for (const fn of bad) assert.doesNotMatch(messageOf(fn), /(^|[\s(])--[a-z]/);
  // the job's schema knows every key of RunTrainingOptions it validates
  assert.ok('onProgress' in runTrainingOptionsSchema.entries);
});

test('one encoder dispatch: a job asks createEncoder, with its defaults where the caller left options unset', async () => {
  const { jobEncoderRequest, buildEncoder } = await import('../../packages/cli/src/jobs/run-training.js');
  assert.deepEqual(jobEncoderRequest('mlp', [784], {}, 1), { kind: 'mlp', inputShape: [784], hidden: [512, 256], embeddingDim: 64, seed: 1 });
  assert.deepEqual(jobEncoderRequest('cnn', [28, 28, 1], { batchNorm: true }, 2), { kind: 'cnn', inputShape: [28, 28, 1], filters: [32, 64], dense: 128, batchNorm: true, embeddingDim: 64, seed: 2 });
  assert.deepEqual(jobEncoderRequest('sequence', [64, 3], { embeddingDim: 8 }, 3), { kind: 'sequence', features: 3, length: 64, embeddingDim: 8, seed: 3 });
  assert.throws(() => jobEncoderRequest('cnn', [784], {}, 1), /the cnn encoder needs images \[height, width, channels\]/);
  // the encoder's own defaults fill the rest: the spec is complete
  const encoder = buildEncoder('mlp', [4], { hidden: [3], dropout: 0.1 }, 5);
  assert.deepEqual(encoder.spec, { kind: 'mlp', inputShape: [4], hidden: [3], embeddingDim: 64, activation: 'relu', dropout: 0.1, seed: 5 });
  encoder.model.dispose();
});

test('docs/library/training.md lists every trainer option in its table', () => {
  const page = readFileSync(new URL('../../docs/library/training.md', import.meta.url), 'utf8');
  const table = page.split('\n').filter((l) => l.startsWith('| `'));
  for (const key of TRAIN_CONFIG_KEYS) assert.ok(table.some((row) => row.split('|')[1].includes(`\`${key}\``)), `${key} has a row`);
});
