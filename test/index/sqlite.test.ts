/** The index suite on the embedded store (a SQLite file), plus the file-level bad inputs. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createRequire } from 'node:module';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { rejectsWith } from '../support/helpers.js';
import { ROOT } from '../support/cli.js';
import { DIM, MODEL, buildIndex, entries, indexStoreSuite } from './store-suite.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-index-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const newFile = (): string => path.join(dir, `index-${n++}.db`);

indexStoreSuite('sqlite', newFile, 1e-5);

test('sqlite: a missing file, a file that is not an index, a foreign database and a corrupt index are clear errors', async () => {
  await rejectsWith(EmbeddingIndex.open(path.join(dir, 'missing.db')), 'NOT_FOUND', 'missing.db', 'does not exist');
  const text = path.join(dir, 'notes.txt');
  await fs.writeFile(text, 'this is not a database, just some text that is long enough to have a header\n'.repeat(20));
  await rejectsWith(EmbeddingIndex.open(text), 'INVALID_DATA', 'notes.txt', 'not an index');
  const foreign = path.join(dir, 'foreign.db');
  const Sqlite = createRequire(import.meta.url)('better-sqlite3');
  const db = new Sqlite(foreign);
  db.exec('CREATE TABLE people (name TEXT)');
  db.close();
  await rejectsWith(EmbeddingIndex.open(foreign), 'INVALID_DATA', 'foreign.db', 'not a contrastive index');
  // a real index with its pages overwritten by garbage
  const corrupt = newFile();
  await buildIndex(corrupt, entries(2000, 3));
  const bytes = await fs.readFile(corrupt);
  for (let i = 100; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
  await fs.writeFile(corrupt, bytes);
  await assert.rejects(
    (async () => {
      const index = await EmbeddingIndex.open(corrupt);
      try {
        await index.search(new Array(DIM).fill(0));
      } finally {
        await index.close();
      }
    })(),
    (err: Error & { code?: string }) => err.name === 'ContrastiveError' && err.code === 'INVALID_DATA' && /corrupt|not an index|damaged|SQLite failed/.test(err.message),
  );
});

test('sqlite: build never replaces a file that is not an index', async () => {
  const notes = path.join(dir, 'precious.txt');
  await fs.writeFile(notes, 'my notes\n'.repeat(100));
  await rejectsWith(buildIndex(notes, entries(5, 6)), 'STATE', 'precious.txt', 'not an index');
  assert.equal(await fs.readFile(notes, 'utf8'), 'my notes\n'.repeat(100));
  assert.deepEqual((await fs.readdir(dir)).filter((f) => f.includes('precious')), ['precious.txt']);
});

test('sqlite: approximate search needs the HNSW graph, which is not there until built (index ann)', async () => {
  const file = newFile();
  await buildIndex(file, entries(50, 4));
  const index = await EmbeddingIndex.open(file);
  try {
    await rejectsWith(index.search(new Array(DIM).fill(0), { mode: 'approximate' }), 'UNSUPPORTED', 'HNSW graph', `contrastive index ann --index ${file}`);
    const stats = await index.stats();
    assert.equal(stats.approximateIndex, false);
    assert.equal(stats.ann, null);
    assert.equal(await index.dropApproximateIndex(), false);
  } finally {
    await index.close();
  }
});

test('sqlite: writers in two processes at once wait for each other; the file stays whole', async () => {
  const file = newFile();
  await buildIndex(file, entries(10, 5));
  const script = `
    import { EmbeddingIndex } from './packages/index/src/index.js';
    import { entries } from './test/index/store-suite.js';
    const index = await EmbeddingIndex.open(process.argv[1]);
    for (let j = 0; j < 10; j++) await index.add(entries(50, j, 4, process.argv[2] + j));
    await index.close();
  `;
  const child = (prefix: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file, prefix], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('error', reject);
      p.on('exit', (code) => resolve(code ?? -1));
    });
  const codes = await Promise.all([child('p'), child('q')]);
  assert.deepEqual(codes, [0, 0]);
  const index = await EmbeddingIndex.open(file, { model: MODEL });
  try {
    assert.equal((await index.stats()).items, 1010);
  } finally {
    await index.close();
  }
  const Sqlite = createRequire(import.meta.url)('better-sqlite3');
  const db = new Sqlite(file, { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

test('sqlite: an index whose description disagrees with its items, or with the model\'s dim, is named as damaged', async () => {
  const file = newFile();
  await buildIndex(file, entries(10, 5));
  await rejectsWith(EmbeddingIndex.open(file, { model: MODEL, dim: DIM + 1 }), 'STATE', path.basename(file), `records embeddings of dim ${DIM}, but the model embeds dim ${DIM + 1}`, 'damaged');
  const Sqlite = createRequire(import.meta.url)('better-sqlite3');
  const db = new Sqlite(file);
  const row = db.prepare("SELECT value FROM contrastive_index_meta WHERE key = 'meta'").get() as { value: string };
  db.prepare("UPDATE contrastive_index_meta SET value = ? WHERE key = 'meta'").run(JSON.stringify({ ...JSON.parse(row.value), dim: 32 }));
  db.close();
  await rejectsWith(EmbeddingIndex.open(file), 'INVALID_DATA', path.basename(file), 'damaged', 'says dim 32', `hold ${DIM} values`);
});

test('sqlite: an index path that is a FIFO is refused at once (SQLite would block on it)', { skip: process.platform === 'win32' && 'no FIFOs' }, async () => {
  const { execFileSync } = await import('node:child_process');
  const fifo = path.join(dir, 'fifo.db');
  execFileSync('mkfifo', [fifo]);
  await rejectsWith(EmbeddingIndex.open(fifo), 'INVALID_ARGUMENT', 'fifo.db', 'FIFO');
});

test('sqlite: a vector made non-finite behind the index\'s back is named with its item, not ranked as NaN', async () => {
  const file = newFile();
  await buildIndex(file, entries(10, 6));
  const Sqlite = createRequire(import.meta.url)('better-sqlite3');
  const db = new Sqlite(file);
  const blob = Buffer.from(new Float32Array(DIM).fill(Number.NaN).buffer);
  db.prepare("UPDATE contrastive_index_items SET embedding = ? WHERE id = 'item-3'").run(blob);
  db.close();
  const index = await EmbeddingIndex.open(file);
  try {
    await rejectsWith(index.search(new Float32Array(DIM), { k: 3 }), 'INVALID_DATA', path.basename(file), "item 'item-3'", 'non-finite');
  } finally {
    await index.close();
  }
});
