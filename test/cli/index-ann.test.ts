/** `contrastive index ann` and `index search` on a SQLite index with an HNSW graph: which mode ran, stale graphs, --drop. */
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { assertOneLineError, cli } from '../support/cli.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-cli-ann-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
const file = path.join(dir, 'gallery.db');
const DIM = 4;
const vectorOf = (i: number): number[] => Array.from({ length: DIM }, (_, d) => Math.sin(i * 0.7 + d * 1.9) * 2 + Math.cos(i * (d + 1) * 0.3));
await EmbeddingIndex.build(file, { dim: DIM, model: { hash: 'c'.repeat(64) } }, (ix) =>
  ix.add(Array.from({ length: 500 }, (_, i) => ({ id: `v${i}`, label: `c${i % 5}`, vector: vectorOf(i) }))),
);
const q = `--vector=${vectorOf(17).join(',')}`;
type Answer = { mode: string; efSearch: number | null; results: { id: string; distance: number }[] };

test('index ann builds the graph; search says which mode ran (auto stays exact below 100,000 items; --mode approximate uses the graph)', () => {
  const built = cli('index', 'ann', '--index', file, '--m', '8', '--json');
  assert.equal(built.code, 0, built.stderr);
  const info = JSON.parse(built.stdout) as { items: number; m: number; current: boolean };
  assert.deepEqual([info.items, info.m, info.current], [500, 8, true]);
  assertOneLineError(cli('index', 'ann', '--index', file), 'already has a current HNSW graph', '--force');

  const auto = JSON.parse(cli('index', 'search', '--index', file, q, '-k', '3', '--json').stdout) as Answer;
  assert.deepEqual([auto.mode, auto.efSearch, auto.results[0].id], ['exact', null, 'v17']);
  const approx = cli('index', 'search', '--index', file, q, '-k', '3', '--mode', 'approximate', '--ef-search', '32', '--json');
  assert.equal(approx.code, 0, approx.stderr);
  const a = JSON.parse(approx.stdout) as Answer;
  assert.deepEqual([a.mode, a.efSearch, a.results[0].id], ['approximate', 32, 'v17']);
  assert.deepEqual(
    a.results.map((h) => h.id),
    auto.results.map((h) => h.id),
  );
  const text = cli('index', 'search', '--index', file, q, '-k', '1', '--mode', 'approximate');
  assert.match(text.stdout, /^search approximate: HNSW graph \(usearch, ef 64\)\n/);
  assert.match(cli('index', 'stats', '--index', file).stdout, /HNSW graph: 500 items, m 8, efConstruction 64, current/);
});

test('index remove keeps the graph current; a graph left behind by a bypassing writer is refused by name; --drop removes it', async () => {
  const removed = cli('index', 'remove', '--index', file, 'v17');
  assert.equal(removed.code, 0, removed.stderr);
  const a = JSON.parse(cli('index', 'search', '--index', file, q, '-k', '3', '--mode', 'approximate', '--json').stdout) as Answer;
  assert.ok(!a.results.some((h) => h.id === 'v17'));

  const manifest = await fs.readFile(`${file}.ann`);
  const ix = await EmbeddingIndex.open(file);
  await ix.dropApproximateIndex();
  await ix.add([{ id: 'bypass', vector: vectorOf(1) }]);
  await ix.close();
  await fs.writeFile(`${file}.ann`, manifest);
  assertOneLineError(cli('index', 'search', '--index', file, q, '--mode', 'approximate'), 'is stale', `contrastive index ann --index ${file} --force`);
  assert.match(cli('index', 'stats', '--index', file).stdout, /STALE/);
  const rebuilt = cli('index', 'ann', '--index', file, '--force');
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.match(rebuilt.stdout, /built the HNSW graph of .*: 500 items/);
  assert.equal(cli('index', 'ann', '--index', file, '--drop').code, 0);
  assert.ok(!existsSync(`${file}.ann`));
  assertOneLineError(cli('index', 'search', '--index', file, q, '--mode', 'approximate'), 'needs its HNSW graph', 'contrastive index ann');
});
