/**
 * `contrastive index build|add|search|stats|remove|eval` end to end: a small
 * MNIST bundle, an index in a SQLite file and one in pgvector (PGlite served
 * on 127.0.0.1 by a thread of this test, so that the CLI runs in this process's
 * CLI thread too, not as a process per call), queries by dataset row and by PNG
 * file, and the bad inputs as one line on stderr.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { initBackend } from '../../packages/node/src/engine/backend.js';
import { loadMnist } from '../../packages/node/src/data/index.js';
import { mlpEncoder, SiameseNetwork } from '../../packages/contrastive/src/models/index.js';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { npyBytes } from '../../packages/node/src/export/npy.js';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { assertOneLineError, cli, ROOT } from '../support/cli.js';
import { freePort } from '../support/pglite-server.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';

let tmp: string;
let model: string;
let other: string;
let db: string;
let pgServer: { url: string; stop(): Promise<void> };

async function bundle(dir: string, seed: number): Promise<string> {
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [28, 28, 1], hidden: [32], embeddingDim: 16, seed }), { normalize: true });
  await saveBundle(dir, net);
  net.dispose();
  return dir;
}

async function png(row: number, name: string): Promise<string> {
  const mnist = loadMnist();
  const file = path.join(tmp, name);
  const px = Buffer.from(Array.from(mnist.x.subarray(row * 784, (row + 1) * 784), (v) => Math.round(v * 255)));
  await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
  return file;
}

/**
 * test/support/pglite-server.ts in a worker thread: `cli()` blocks this thread while the CLI
 * thread runs a call, and the server must answer that call meanwhile.
 */
async function startPgliteThread(): Promise<{ url: string; stop(): Promise<void> }> {
  const boot = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.tsx).then((tsx) => { tsx.register(); return import(workerData.server); })
      .then((m) => m.startPgliteServer())
      .then((server) => {
        parentPort.postMessage({ url: server.url });
        parentPort.once('message', () => server.stop().then(() => parentPort.postMessage({ stopped: true })));
      })
      .catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));`;
  const worker = new Worker(boot, { eval: true, workerData: { tsx: import.meta.resolve('tsx/esm/api'), server: new URL('../support/pglite-server.ts', import.meta.url).href } });
  const answer = (): Promise<{ url?: string; error?: string }> => new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const started = await answer();
  if (!started.url) throw new Error(`PGlite did not start: ${started.error}`);
  return {
    url: started.url,
    stop: async () => {
      worker.postMessage('stop');
      await answer();
      await worker.terminate();
    },
  };
}

function json<T>(r: { code: number; stdout: string; stderr: string }): T {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

type Results = { results: { id: string; label: string | null; source: string | null; distance: number }[] };

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-index-'));
  await initBackend('wasm');
  model = await bundle(path.join(tmp, 'model'), 1);
  other = await bundle(path.join(tmp, 'other'), 2);
  db = path.join(tmp, 'gallery.db');
  pgServer = await startPgliteThread();
});

after(async () => {
  await pgServer?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

test('index build, search by row and by file, add, remove, stats on a SQLite file', async () => {
  const built = json<{ items: number; engine: string; where: string }>(cli('index', 'build', '--model', model, '--dataset', 'mnist', '--split', 'test', '--out', db, '--backend', 'wasm', '--json'));
  assert.equal(built.items, 2000);
  assert.equal(built.where, db);
  // query by a dataset row that is in the index: itself first, at distance 0, then as the library ranks
  const index = await EmbeddingIndex.open(db);
  const { items } = await index.all();
  const row = items[17].id; // 'mnist:INDEX'
  const r = json<Results>(cli('index', 'search', '--index', db, '--model', model, row, '-k', '5', '--json'));
  assert.equal(r.results.length, 5);
  assert.equal(r.results[0].id, row);
  assert.ok(r.results[0].distance < 1e-5);
  const stored = await index.get(row);
  const lib = await index.search(stored!.vector, { k: 5 });
  assert.deepEqual(r.results.map((h) => h.id), lib.map((h) => h.id));
  for (let i = 1; i < 5; i++) assert.ok(r.results[i - 1].distance <= r.results[i].distance);
  await index.close();
  const labelled = json<Results>(cli('index', 'search', '--index', db, '--model', model, row, '--label', '3', '--json'));
  assert.equal(labelled.results.length, 10);
  assert.ok(labelled.results.every((h) => h.label === '3'));

  // add PNG files, find one by its own file, remove it
  const a = await png(5, "it's a [test] file.png");
  const b = await png(6, 'b.png');
  const added = json<{ added: number; items: number; engine: string }>(cli('index', 'add', '--index', db, '--model', model, '--label', "new 'label'", a, b, '--json'));
  assert.deepEqual([added.added, added.items], [2, 2002]);
  const byFile = json<Results>(cli('index', 'search', '--index', db, '--model', model, a, '-k', '1', '--json'));
  assert.deepEqual(byFile.results.map((h) => [h.id, h.label]), [[path.resolve(a), "new 'label'"]]);
  const human = cli('index', 'remove', '--index', db, path.resolve(a));
  assert.equal(human.code, 0, human.stderr);
  const stats = json<{ items: number; labels: { label: string; count: number }[] }>(cli('index', 'stats', '--index', db, '--json'));
  assert.equal(stats.items, 2001);
  assert.equal(stats.labels.find((l) => l.label === "new 'label'")?.count, 1);
});

test('index search by vector: --vector and --vector-file (.npy and JSON lines from contrastive embed), --model optional', async () => {
  // the index of the test above: b.png was added with the bundle; embed it as `contrastive embed` does and search by its numbers
  const b = path.join(tmp, 'b.png');
  const jsonl = path.join(tmp, 'b.jsonl');
  const embedded = cli('embed', '--model', model, '--out', jsonl, b, '--backend', 'wasm');
  assert.equal(embedded.code, 0, embedded.stderr);
  const byFile = json<Results>(cli('index', 'search', '--index', db, '--vector-file', jsonl, '-k', '3', '--json'));
  assert.equal(byFile.results[0].id, path.resolve(b));
  assert.ok(byFile.results[0].distance < 1e-4, `distance ${byFile.results[0].distance}`);

  // --vector: the stored numbers of two rows give what the library gives, in order, each answer named
  const index = await EmbeddingIndex.open(db);
  const rows = (await index.all()).items.slice(40, 42).map((it) => it.id);
  const vectors = await Promise.all(rows.map(async (id) => Array.from((await index.get(id))!.vector)));
  const lib = await Promise.all(vectors.map((v) => index.search(v, { k: 4, label: '7' })));
  await index.close();
  const lines = cli('index', 'search', '--index', db, '--model', model, '--vector', vectors[0].join(','), `--vector=${vectors[1].join(',')}`, '-k', '4', '--label', '7', '--json');
  assert.equal(lines.code, 0, lines.stderr);
  const answers = lines.stdout.trim().split('\n').map((l) => JSON.parse(l) as Results & { query: string });
  assert.deepEqual(answers.map((a) => a.query), ['--vector 1', '--vector 2']);
  answers.forEach((a, i) => assert.deepEqual(a.results.map((h) => [h.id, h.label]), lib[i].map((h) => [h.id, h.label])));

  // a .npy of both rows; the human output names each row
  const npy = path.join(tmp, 'q.npy');
  await fs.writeFile(npy, npyBytes(Float32Array.from(vectors.flat()), [2, vectors[0].length]));
  const human = cli('index', 'search', '--index', db, '--vector-file', npy, '-k', '1');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, new RegExp(`q\\.npy:0:\\n.*${rows[0]}\\n.*q\\.npy:1:\\n.*${rows[1]}`));
  // (another bundle with --model, a wrong dim, bad numbers and damaged vector files: test/reliability/corpus.ts)

  // many queries into a reader that stops after the first chunk (`| head`): exit 0, nothing on stderr
  const many = path.join(tmp, 'many.npy');
  await fs.writeFile(many, npyBytes(Float32Array.from({ length: 3000 * vectors[0].length }, (_, i) => vectors[i % 2][i % vectors[0].length]), [3000, vectors[0].length]));
  const head = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/cli/main.ts', 'index', 'search', '--index', db, '--vector-file', many, '-k', '50'], { cwd: ROOT, env: { ...process.env, CONTRASTIVE_DEBUG: '' } });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout.once('data', () => p.stdout.destroy());
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
  });
  assert.deepEqual(head, { code: 0, stderr: '' });
});

test('index bad inputs are one line on stderr', async () => {
  assertOneLineError(cli('index', 'search', '--index', db, '--model', other, 'mnist:3'), 'another model');
  const garbage = path.join(tmp, 'broken.png');
  await fs.writeFile(garbage, 'not an image at all');
  assertOneLineError(cli('index', 'add', '--index', db, '--model', model, garbage), 'broken.png');
  assertOneLineError(cli('index', 'remove', '--index', db, 'no-such-id'), "'no-such-id'");
  const notIndex = path.join(tmp, 'notes.db');
  await fs.writeFile(notIndex, 'hello '.repeat(200));
  assertOneLineError(cli('index', 'stats', '--index', notIndex), 'not an index');
  const port = await freePort();
  assertOneLineError(cli('index', 'stats', '--index', `postgres://u:pw@127.0.0.1:${port}/db`, '--connect-timeout', '1000'), 'cannot connect', /\*\*\*/);
});

test('index build --hnsw and search --mode approximate on PostgreSQL + pgvector', async () => {
  const url = `${pgServer.url}?table=gallery`;
  const built = json<{ items: number; store: string }>(cli('index', 'build', '--model', model, '--dataset', 'mnist', '--split', 'validation', '--out', url, '--hnsw', '--backend', 'wasm', '--json'));
  assert.equal(built.store, 'postgres');
  assert.ok(built.items >= 990 && built.items <= 1010, `validation split of ${built.items} rows`);
  const index = await EmbeddingIndex.open(url);
  const row = (await index.all()).items[3].id;
  await index.close();
  const exact = json<Results>(cli('index', 'search', '--index', url, '--model', model, row, '-k', '5', '--json'));
  const approx = json<Results>(cli('index', 'search', '--index', url, '--model', model, row, '-k', '5', '--mode', 'approximate', '--ef-search', '100', '--json'));
  assert.equal(exact.results[0].id, row);
  assert.equal(approx.results[0].id, row);
  assert.ok(approx.results.filter((h) => exact.results.some((e) => e.id === h.id)).length >= 4);
  // A table that holds an index is not replaced without --force
  assertOneLineError(cli('index', 'build', '--model', model, '--dataset', 'mnist', '--split', 'validation', '--out', url, '--backend', 'wasm'), 'already holds an index of', '--force');
});
