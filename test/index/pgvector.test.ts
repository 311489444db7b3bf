/**
 * The index suite on the scale-out store: pgvector inside PGlite, reached over
 * TCP on 127.0.0.1 through pglite-socket (one server for this file), plus the
 * PostgreSQL-only parts: HNSW search with its recall, unreachable servers.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { rejectsWith } from '../support/helpers.js';
import { freePort, startPgliteServer, type PgliteServer } from '../support/pglite-server.js';
import { DIM, MODEL, bruteForce, buildIndex, entries, indexStoreSuite } from './store-suite.js';

let server: PgliteServer;
before(async () => {
  server = await startPgliteServer();
});
after(() => server?.stop());
let n = 0;
const newTarget = (): string => `${server.url}?table=idx_${n++}`;

// pgvector computes distances in float32
indexStoreSuite('pgvector', newTarget, 1e-4);

test('pgvector: HNSW approximate search, its recall@10 against exact, and label filters', async () => {
  const target = newTarget();
  const items = entries(1000, 11);
  await EmbeddingIndex.build(target, { dim: DIM, model: MODEL, hnsw: { m: 16, efConstruction: 64 } }, (index) => index.add(items));
  const index = await EmbeddingIndex.open(target, { model: MODEL });
  try {
    assert.equal((await index.stats()).approximateIndex, true);
    const queries = entries(30, 12, 4, 'q');
    let found = 0;
    for (const q of queries) {
      const exact = new Set(bruteForce(items, q.vector, 10).map((h) => h.id));
      const hits = await index.search(q.vector, { k: 10, mode: 'approximate', efSearch: 100 });
      assert.equal(hits.length, 10);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].distance <= hits[i].distance);
      found += hits.filter((h) => exact.has(h.id)).length;
      const labelled = await index.search(q.vector, { k: 5, mode: 'approximate', label: 'L1' });
      assert.ok(labelled.length > 0 && labelled.every((h) => h.label === 'L1'));
    }
    const recall = found / (10 * queries.length);
    assert.ok(recall >= 0.9, `recall@10 ${recall}`);
  } finally {
    await index.close();
  }
  const plain = newTarget();
  await buildIndex(plain, items.slice(0, 20));
  const p = await EmbeddingIndex.open(plain);
  try {
    await rejectsWith(p.search(items[0].vector, { mode: 'approximate' }), 'STATE', 'no HNSW index');
    await p.createApproximateIndex();
    assert.equal((await p.search(items[0].vector, { k: 1, mode: 'approximate' }))[0].id, 'item-0');
  } finally {
    await p.close();
  }
});

test('pgvector: an unreachable server, a silent server and a missing table are clear errors, no hang', async () => {
  const closed = await freePort();
  await rejectsWith(EmbeddingIndex.open(`postgres://postgres@127.0.0.1:${closed}/postgres`, { connectTimeoutMs: 2000 }), 'NOT_FOUND', 'cannot connect', `127.0.0.1:${closed}`);
  // accepts TCP connections but never answers
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    await rejectsWith(EmbeddingIndex.open(`postgres://postgres:secret@127.0.0.1:${port}/postgres`, { connectTimeoutMs: 300 }), 'NOT_FOUND', 'cannot connect', 'waited at most 300 ms');
    await assert.rejects(EmbeddingIndex.open(`postgres://postgres:secret@127.0.0.1:${port}/postgres`, { connectTimeoutMs: 300 }), (err: Error) => !err.message.includes('secret'));
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
  await rejectsWith(EmbeddingIndex.open(`${server.url}?table=never_built`), 'NOT_FOUND', 'never_built');
  await rejectsWith(EmbeddingIndex.open(`${server.url}?table=bad;name`), 'INVALID_ARGUMENT', 'table name');
});
