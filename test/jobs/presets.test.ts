import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { PRESETS, withPreset } from '../../packages/cli/src/jobs/presets.js';

test('withPreset: the preset fills what the caller left unset; the caller wins, nested train settings included', () => {
  const p = PRESETS['zero-shot'];
  const merged = withPreset('zero-shot', { dataset: 'fashion-mnist', holdoutClasses: [5, 6, 7, 8, 9], train: { epochs: 2, seed: 3, margin: undefined } });
  assert.equal(merged.dataset, 'fashion-mnist');
  assert.equal(merged.encoder, p.encoder);
  assert.deepEqual(merged.validationClasses, p.validationClasses);
  assert.equal(merged.train?.epochs, 2);
  assert.equal(merged.train?.learningRate, p.train?.learningRate);
  assert.equal(merged.train?.posMargin, undefined);
  assert.equal(merged.readout, 'under-head');
  assert.equal(merged.train?.validateUntrained, true);
  assert.equal(merged.train?.seed, 3);
  assert.equal(merged.train?.miner, p.train?.miner);
  assert.equal(merged.train?.margin, p.train?.margin);
  assert.equal(withPreset('zero-shot', { encoder: 'mlp', holdoutClasses: [9] }).encoder, 'mlp');
});

test('withPreset: class-disjoint validation only with held-out classes; unknown presets are rejected', () => {
  assert.equal(withPreset('zero-shot', { dataset: 'mnist' }).validationClasses, undefined);
  assert.throws(() => withPreset('fast', {}), (e: unknown) => e instanceof ContrastiveError && /unknown preset 'fast' \(expected zero-shot\)/.test(e.message));
});
