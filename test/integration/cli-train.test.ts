import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, assertOneLineError } from '../support/cli.js';

test('train on mnist writes the bundle, metrics.json, history.json and a checkpoint', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-cli-train-'));
  const r = cli('train', '--epochs', '2', '--pairs-per-epoch', '1000', '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.equal(lines[0].type, 'start');
  assert.equal(lines.at(-1)!.type, 'done');
  assert.equal(lines.filter((l) => l.type === 'epoch').length, 2);
  const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  for (const k of ['accuracy', 'auc', 'eer', 'threshold']) assert.equal(typeof m.verification[k], 'number', k);
  for (const k of ['precisionAt1', 'mapAtR']) assert.equal(typeof m.retrieval[k], 'number', k);
  assert.equal(m.dataset, 'mnist');
  assert.equal(m.encoder, 'mlp');
  assert.equal(m.loss, 'contrastive');
  assert.equal(m.margin, 0.5); // the job default with normalised embeddings
  assert.equal(m.epochs, 2);
  assert.equal(m.backend, 'wasm');
  assert.ok(m.trainSeconds > 0);
  assert.ok(m.verification.auc > 0.6, `auc ${m.verification.auc}`);
  const manifest = JSON.parse(readFileSync(path.join(out, 'model', 'manifest.json'), 'utf8'));
  assert.equal(manifest.threshold, m.verification.threshold);
  assert.equal(manifest.input.preprocessing.kind, 'image');
  assert.equal(JSON.parse(readFileSync(path.join(out, 'history.json'), 'utf8')).length, 2);
  assert.ok(existsSync(path.join(out, 'checkpoint', 'state.json')));

  // Resuming a finished run trains nothing more and reproduces the same metrics.
  const again = cli('train', '--epochs', '2', '--pairs-per-epoch', '1000', '--out', out, '--resume', '--json');
  assert.equal(again.code, 0, again.stderr);
  const m2 = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  assert.equal(m2.verification.auc, m.verification.auc);

  // A failing run into the same directory leaves what is there intact.
  const bad = cli('train', '--dataset', 'idx:/nonexistent/dir', '--out', out);
  assert.notEqual(bad.code, 0);
  assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')), m2);
});

test('bad input gives one clear line and a non-zero exit', async () => {
  assertOneLineError(cli('train', '--dataset', 'cifar'), /cifar/);
  assertOneLineError(cli('train', '--resume'), /--resume needs --out/);
  assertOneLineError(cli('train', '--margin', '-1'), /--margin/);
  assertOneLineError(cli('train', '--loss', 'hinge'), /hinge/);
  assertOneLineError(cli('train', '--encoder', 'resnet'), /resnet/);
  assertOneLineError(cli('train', '--dataset', 'idx:/nonexistent/dir'), /nonexistent/);
  assertOneLineError(cli('train', '--miner', 'hardest'), /hardest/);
  assertOneLineError(cli('train', '--holdout-classes', '0,1,2,3,4,5,6,7,8,9', '--epochs', '1'), /class/);

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-cli-bad-'));
  const csv = path.join(dir, 'pairs.csv');
  await fs.writeFile(csv, 'a.png,b.png,0\na.png,b.png,2\n');
  assertOneLineError(cli('train', '--dataset', `pairs:${csv}`), /pairs\.csv|a\.png|line/);

  const truncated = path.join(dir, 'idx');
  await fs.mkdir(truncated);
  const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28]);
  await fs.writeFile(path.join(truncated, 'train-images-idx3-ubyte'), Buffer.concat([header, Buffer.alloc(100)]));
  await fs.writeFile(path.join(truncated, 'train-labels-idx1-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assertOneLineError(cli('train', '--dataset', `idx:${truncated}`), /train-images-idx3-ubyte.*truncated|truncated.*train-images/);
});
