/**
 * What a new user hits in the first hour, as the commands are
 * written there: a tiny folder: dataset trained from its own directory, then
 * used from another one; options refused before any work; one error style;
 * embed and export.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { parseNpy } from '../../packages/node/src/export/npy.js';
import { cliIn, assertOneLineError, ROOT, type CliResult } from '../support/cli.js';

let work: string; // the user's project directory: digits/ and the run live here
let elsewhere: string; // another working directory
let run: string;
const TINY = ['--image-size', '8', '--hidden', '16', '--embedding-dim', '4', '--epochs', '1', '--pairs-per-epoch', '64', '--batch-size', '16', '--backend', 'wasm'];

/** 2 classes x 16 images of 8x8: bright left half or bright right half, with a little per-image variation. */
async function makeDigits(dir: string): Promise<void> {
  for (const [cls, left] of [['left', true], ['right', false]] as const) {
    await fs.mkdir(path.join(dir, cls), { recursive: true });
    for (let i = 0; i < 16; i++) {
      const px = Buffer.alloc(64);
      for (let k = 0; k < 64; k++) px[k] = ((k % 8 < 4) === left ? 200 : 30) + ((k * 7 + i * 13) % 40);
      await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(path.join(dir, cls, `${String(i).padStart(2, '0')}.png`));
    }
  }
  await fs.writeFile(path.join(dir, 'right', 'zz-broken.png'), 'not a png');
}

/** The CLI with a time limit, so a command that would hang fails the test instead. */
function cliLimited(cwd: string, ms: number, ...args: string[]): CliResult & { timedOut: boolean } {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'packages/cli/src/cli/main.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: ms,
    env: { ...process.env, CONTRASTIVE_DEBUG: '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined };
}

before(async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-firstuse-'));
  work = path.join(tmp, 'project');
  elsewhere = path.join(tmp, 'elsewhere');
  await fs.mkdir(elsewhere, { recursive: true });
  await makeDigits(path.join(work, 'digits'));
  await fs.writeFile(path.join(work, 'notes.txt'), 'a regular file');
  run = path.join(work, 'run');
});

test('train on folder:digits from its directory: one bad image fails by default, --skip-bad-images lists it; JSON steps count epochs from 1', () => {
  assertOneLineError(cliIn(work, 'train', '--dataset', 'folder:digits', ...TINY, '--out', 'run'), 'zz-broken.png');
  assert.ok(!existsSync(path.join(run, 'model')), 'nothing trained');

  const r = cliIn(work, 'train', '--dataset', 'folder:digits', '--skip-bad-images', ...TINY, '--out', 'run', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /skipped 1 image that could not be decoded: .*zz-broken\.png/);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; epoch?: number; step?: number; steps?: number; record?: { epoch: number } });
  const steps = lines.filter((l) => l.type === 'step');
  const epochs = lines.filter((l) => l.type === 'epoch');
  assert.ok(steps.length > 0 && epochs.length === 1);
  assert.ok(steps.every((s) => s.epoch === epochs[0].record!.epoch), 'step and epoch records count epochs the same way (from 1)');
  assert.equal(steps.at(-1)!.step, steps.at(-1)!.steps, 'the last step is step N of N');
  const manifest = JSON.parse(spawnSync('cat', [path.join(run, 'model', 'manifest.json')], { encoding: 'utf8' }).stdout);
  assert.equal(manifest.training.dataset, `folder:${path.join(work, 'digits')}`, 'recorded with an absolute path');
});

test('the run is used from another directory, with --model naming the run directory; TAR at an unmeasurable FAR is flagged', () => {
  const r = cliIn(elsewhere, 'eval', '--model', run, '--backend', 'wasm', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.model, path.join(run, 'model'));
  assert.equal(out.runSplit.source, 'manifest');
  assert.ok(out.verification.negatives < 1000);
  assert.ok(out.warnings.some((w: string) => w.includes('TAR at FAR=1e-3') && w.includes('not measurable')), JSON.stringify(out.warnings));
  const table = cliIn(elsewhere, 'eval', '--model', run, '--backend', 'wasm', '--seed', '3');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /TAR at FAR=1e-3\s+-\s+\(needs at least 1000 dissimilar pairs\)/);
  assert.match(table.stdout, /split test \(seed 3, validation 0\.1, test 0\.2, held out none; from options\)/);
});

test('an existing run is refused without --resume or --force; a refused resume names the changed setting', () => {
  assertOneLineError(cliIn(work, 'train', '--dataset', 'folder:digits', '--skip-bad-images', ...TINY, '--out', 'run'), '--out run already holds files', '--resume', '--force');
  const changed = cliIn(work, 'train', '--dataset', 'folder:digits', '--skip-bad-images', ...TINY, '--out', 'run', '--resume', '--lr', '0.01');
  assertOneLineError(changed, 'other settings', 'learningRate: 0.001 -> 0.01');
});

test('--out is checked before any work: under a regular file, and under /proc (which used to spin forever)', () => {
  assertOneLineError(cliIn(work, 'train', '--epochs', '2', '--out', 'notes.txt/run'), '--out notes.txt/run', 'is a file');
  if (existsSync('/proc/self')) {
    const r = cliLimited(work, 120_000, 'train', '--out', '/proc/nope');
    assert.equal(r.timedOut, false, 'train --out /proc/nope returns');
    assertOneLineError(r, '--out /proc/nope', 'cannot create files in /proc');
  }
});

test('options that would be ignored and combinations that cannot work are refused at once, naming the option', () => {
  assertOneLineError(cliIn(work, 'train', '--dataset', 'mnist', '--data-dir', 'somewhere'), '--data-dir', '--dataset mnist');
  assertOneLineError(cliIn(work, 'train', '--dataset', 'mnist', '--image-size', '32'), '--image-size', '--dataset mnist');
  assertOneLineError(cliIn(work, 'train', '--loss', 'cross-entropy', '--miner', 'semi-hard', '--epochs', '1', '--out', 'runs/ce'), '--miner', 'cross-entropy');
  assert.ok(!existsSync(path.join(work, 'runs', 'ce')));
  assertOneLineError(cliIn(work, 'train', '--loss', 'triplet', '--miner', 'hard-negative'), '--miner hard-negative', 'triplet');
  assertOneLineError(cliIn(work, 'compare', '--losses', 'cross-entropy', '--miner', 'semi-hard'), '--miner', 'does not train it');
  assertOneLineError(cliIn(work, 'train', '--monitor', 'loss'), "--monitor <metric>' argument 'loss' is invalid", 'auc, accuracy, eer');
});

test('verify: a negative threshold is refused (decision and p(same) would disagree); plural and signs read right', () => {
  const a = path.join(work, 'digits', 'left', '00.png');
  const b = path.join(work, 'digits', 'left', '01.png');
  assertOneLineError(cliIn(work, 'verify', '--model', 'run', '--backend', 'wasm', '--threshold', '-1', a, b), 'threshold -1 is negative');
  const ok = cliIn(work, 'verify', '--model', 'run', '--backend', 'wasm', '--threshold', '0.5', a, b);
  assert.equal(ok.code, 0, ok.stderr);

  const cal = cliIn(work, 'calibrate', '--model', 'run', '--backend', 'wasm');
  assert.equal(cal.code, 0, cal.stderr);
  assert.match(cal.stdout, /p\(same \| d\) {2}1 \/ \(1 \+ exp\(-?[\d.e+-]+ \* d [+-] [\d.e+-]+\)\)/);
  assert.doesNotMatch(cal.stdout, /\+ -/);
});

test('embed writes .npy and JSON lines; export --onnx --out writes a servable copy', () => {
  const npy = cliIn(elsewhere, 'embed', '--model', run, '--backend', 'wasm', '--out', 'emb.npy');
  assert.equal(npy.code, 0, npy.stderr);
  assert.match(npy.stdout, /wrote emb\.npy: 32 embeddings of dimension 4 \(npy\)/);
  return fs.readFile(path.join(elsewhere, 'emb.npy')).then(async (bytes) => {
    const { shape, data } = parseNpy(new Uint8Array(bytes));
    assert.deepEqual(shape, [32, 4]);
    assert.ok(data.every((v) => Number.isFinite(v)));
    const files = [path.join(work, 'digits', 'left', '00.png'), path.join(work, 'digits', 'right', '00.png')];
    const jl = cliIn(elsewhere, 'embed', '--model', run, '--backend', 'wasm', '--out', 'two.jsonl', ...files);
    assert.equal(jl.code, 0, jl.stderr);
    const rows = (await fs.readFile(path.join(elsewhere, 'two.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => [r.index, r.source, r.embedding.length]), [[0, files[0], 4], [1, files[1], 4]]);
    // the same image embeds the same through both doors (dataset row 0 is left/00.png)
    rows[0].embedding.forEach((v: number, k: number) => assert.ok(Math.abs(v - data[k]) < 1e-5));

    const ex = cliIn(elsewhere, 'export', '--model', run, '--onnx', '--out', 'served');
    assert.equal(ex.code, 0, ex.stderr);
    for (const f of ['manifest.json', 'model.json', 'weights.bin', 'model.onnx']) assert.ok(existsSync(path.join(elsewhere, 'served', f)), f);
    assertOneLineError(cliIn(elsewhere, 'export', '--model', run), 'nothing to export');
  });
});

test('one error style, without internal function names; under --json an error is a JSON object', () => {
  const missing = path.join(elsewhere, 'no-such-model');
  const plain = cliIn(elsewhere, 'eval', '--model', missing);
  assertOneLineError(plain, /^contrastive: error: /, missing);
  assert.doesNotMatch(plain.stderr, /loadBundle|readManifest/);
  assertOneLineError(cliIn(elsewhere, 'train', '--epochs', 'x'), /^contrastive: error: option '--epochs <n>' argument 'x' is invalid/);
  const json = cliIn(elsewhere, 'eval', '--model', missing, '--json');
  assert.equal(json.code, 1);
  assert.equal(json.stderr, '');
  const e = JSON.parse(json.stdout);
  assert.equal(e.type, 'error');
  assert.equal(e.code, 'NOT_FOUND');
  assert.ok(e.message.includes(missing));
});

test('a dataset path read from the manifest says so when the data has moved', async () => {
  await fs.rename(path.join(work, 'digits'), path.join(work, 'digits-moved'));
  assertOneLineError(cliIn(elsewhere, 'eval', '--model', run, '--backend', 'wasm'), 'no such folder', 'manifest.json', '--dataset');
  const r = cliIn(elsewhere, 'eval', '--model', run, '--backend', 'wasm', '--json', '--dataset', `folder:${path.join(work, 'digits-moved')}`, '--skip-bad-images');
  assert.equal(r.code, 0, r.stderr);
});
