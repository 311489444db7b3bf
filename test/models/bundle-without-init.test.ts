/**
 * Loading a model without calling initBackend first (the README's "From TypeScript"
 * snippets): the Node entry points initialise the fastest backend themselves, and a
 * good bundle is never reported as bad data. Each case runs in a fresh process, where
 * no backend has been chosen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/cli.js';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';
import { SiameseNetwork, mlpEncoder } from '../../packages/contrastive/src/models/index.js';

function run(code: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--conditions=contrastive-source', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}

test('loadBundle and BundleEmbedder.load without initBackend: the backend initialises itself (wasm), the bundle loads and embeds', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'contrastive-noinit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await initBackend('cpu');
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [6], hidden: [5], embeddingDim: 3, seed: 4 }), { normalize: true });
  await saveBundle(path.join(dir, 'model'), net);
  const expected = Array.from(await net.embedBatched(new Float32Array([0, 1, 2, 3, 4, 5])));
  net.dispose();

  const r = run(`
    import * as tf from '@tensorflow/tfjs';
    import { loadBundle } from '@contrastive/node';
    import { BundleEmbedder } from '@contrastive/node';
    const { network } = await loadBundle(${JSON.stringify(path.join(dir, 'model'))});
    console.log('backend ' + tf.getBackend());
    console.log('loadBundle ' + JSON.stringify(Array.from(await network.embedBatched(new Float32Array([0, 1, 2, 3, 4, 5])))));
    const embedder = await BundleEmbedder.load(${JSON.stringify(path.join(dir, 'model'))}, { engine: 'tfjs' });
    console.log('embedder ' + JSON.stringify(Array.from(await embedder.embed(new Float32Array([0, 1, 2, 3, 4, 5]), 1))));
    await embedder.dispose();
  `);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(-600)}`);
  assert.match(r.stdout, /^backend wasm$/m);
  for (const label of ['loadBundle', 'embedder']) {
    const got = JSON.parse(new RegExp(`^${label} (.*)$`, 'm').exec(r.stdout)![1]) as number[];
    got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-5, `${label}[${i}]: ${g} vs ${expected[i]}`));
  }
});

test('code run before initBackend gets the cpu backend, not a TF.js error about an uninitialised wasm backend', () => {
  const r = run(`
    import * as tf from '@tensorflow/tfjs';
    import { mlpEncoder } from 'contrastive';
    import { initBackend } from '@contrastive/node';
    const enc = mlpEncoder({ inputShape: [4], hidden: [], embeddingDim: 2 });
    console.log('before ' + tf.getBackend());
    console.log('after ' + (await initBackend()));
    console.log('predict ' + (enc.model.predict(tf.ones([1, 4])).shape.join('x')));
  `);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(-600)}`);
  assert.match(r.stdout, /^before cpu\nafter wasm\npredict 1x2$/m);
});
