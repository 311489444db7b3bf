// The server under load and abuse, on 127.0.0.1 only: 1,000 verify requests at concurrency 50
// with zero errors (p50/p99 latency printed), malformed multipart, slow and silent clients,
// path traversal on the static routes - each answered with the right 4xx (or cut off), and the
// server still answering afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { createServeApp } from '../../packages/cli/src/serve/index.js';
import { openBundle, runTraining } from '../../packages/cli/src/jobs/index.js';
import { writeIdxSet } from '../support/data.js';

let dir = '';
let app: FastifyInstance;
let base = '';
let port = 0;
let pngA: Buffer;
let pngB: Buffer;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-server-'));
  await writeIdxSet(path.join(dir, 'data'), 200, 4);
  const run = await runTraining({ report: false, dataset: `idx:${path.join(dir, 'data')}`, hidden: [16], embeddingDim: 8, out: path.join(dir, 'run'), backend: 'wasm', train: { epochs: 1, pairsPerEpoch: 200, batchSize: 40 } });
  run.network.dispose();
  const bundle = await openBundle(run.bundleDir);
  app = await createServeApp({ bundle, map: false, requestTimeoutMs: 1500 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  const png = (v: number) => sharp(Buffer.alloc(64, v), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer();
  pngA = await png(30);
  pngB = await png(220);
});

after(async () => {
  await app?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

function verifyForm(): FormData {
  const form = new FormData();
  form.append('a', new Blob([new Uint8Array(pngA)], { type: 'image/png' }), 'a.png');
  form.append('b', new Blob([new Uint8Array(pngB)], { type: 'image/png' }), 'b.png');
  return form;
}

async function stillAnswers(): Promise<void> {
  const r = await fetch(`${base}/api/model`);
  assert.equal(r.status, 200);
  await r.json();
}

test('load: 1,000 verify requests at concurrency 50, no errors, one answer for all', async () => {
  const total = 1000;
  const concurrency = 50;
  const latencies: number[] = [];
  const distances = new Set<number>();
  let next = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      const t0 = performance.now();
      try {
        const r = await fetch(`${base}/api/verify`, { method: 'POST', body: verifyForm() });
        const body = (await r.json()) as { distance: number };
        if (r.status !== 200) errors++;
        else distances.add(body.distance);
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  // Figures, not assertions: timings depend on the machine.
  console.log(`# load: ${total} verify requests at concurrency ${concurrency} in ${seconds.toFixed(1)} s: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, ${errors} errors`);
  assert.equal(errors, 0);
  assert.equal(latencies.length, total);
  assert.equal(distances.size, 1, 'every answer to the same pair is the same');
});

async function raw(request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('malformed multipart: a bad boundary, a truncated body, parts without names are 4xx JSON', async () => {
  const cases: Array<[string, string, string]> = [
    ['bad boundary', 'multipart/form-data; boundary=xyz', '--abc\r\nContent-Disposition: form-data; name="a"; filename="a.png"\r\n\r\nxx\r\n--abc--\r\n'],
    ['truncated body', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="a"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG'],
    ['no boundary', 'multipart/form-data', 'anything'],
    ['part without a name', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; filename="a.png"\r\n\r\nxx\r\n--xyz--\r\n'],
    ['garbage headers', 'multipart/form-data; boundary=xyz', '--xyz\r\n\x00\x01\x02\r\n\r\n--xyz--\r\n'],
  ];
  for (const [what, type, body] of cases) {
    const r = await fetch(`${base}/api/verify`, { method: 'POST', headers: { 'content-type': type }, body });
    assert.ok(r.status >= 400 && r.status < 500, `${what}: status ${r.status}`);
    const json = (await r.json()) as { error?: unknown };
    assert.ok(json.error !== undefined, `${what}: a JSON error`);
  }
  await stillAnswers();
});

test('path traversal on the static routes never reads outside what is served', async () => {
  const secret = JSON.stringify(JSON.parse(await fs.readFile(path.join(process.cwd(), 'package.json'), 'utf8')).name);
  for (const p of [
    '/../package.json',
    '/..%2fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
    '/bundle/..%2f..%2fmetrics.json',
    '/bundle/../../../../etc/passwd',
    '/vendor/..%2f..%2f..%2fpackage.json',
    '/%2e%2e%5c%2e%2e%5cpackage.json',
    '/bundle/%00manifest.json',
  ]) {
    const text = await raw(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const status = Number(text.split(' ')[1]);
    assert.ok(status >= 400 && status < 500, `${p}: status ${status}`);
    assert.ok(!text.includes('"dependencies"') && !text.includes('root:x:0:0'), `${p}: served a file from outside (${secret})`);
  }
  await stillAnswers();
});

test('slow and silent clients are cut off after the request timeout; the server answers others meanwhile', async () => {
  const closedAfter = (send: (s: net.Socket) => void): Promise<number> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const socket = net.connect(port, '127.0.0.1', () => send(socket));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(performance.now() - t0));
      setTimeout(() => reject(new Error('connection still open after 20 s')), 20_000).unref();
    });
  // silent: connects and sends nothing
  const silent = closedAfter(() => undefined);
  // slow: headers one byte every 300 ms, never finishing
  let trickle: NodeJS.Timeout | undefined;
  const slow = closedAfter((s) => {
    const bytes = Buffer.from('POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 100000\r\n\r\n');
    let i = 0;
    trickle = setInterval(() => {
      if (i < bytes.length && !s.destroyed) s.write(bytes.subarray(i, ++i));
    }, 300);
  });
  await stillAnswers();
  const [silentMs, slowMs] = await Promise.all([silent, slow]);
  clearInterval(trickle);
  assert.ok(silentMs < 15_000 && slowMs < 15_000, `cut off after ${silentMs.toFixed(0)} / ${slowMs.toFixed(0)} ms`);
  await stillAnswers();
});

test('non-image uploads and oversized bodies are 4xx, and the server keeps answering', async () => {
  const form = new FormData();
  form.append('a', new Blob(['%PDF-1.4 not an image'], { type: 'application/pdf' }), 'a.pdf');
  form.append('b', new Blob([new Uint8Array(pngB)], { type: 'image/png' }), 'b.png');
  let r = await fetch(`${base}/api/verify`, { method: 'POST', body: form });
  assert.ok(r.status === 415 || r.status === 422, `non-image: ${r.status}`);
  const big = new FormData();
  big.append('a', new Blob([Buffer.alloc(11 * 1024 * 1024, 1)], { type: 'image/png' }), 'a.png');
  big.append('b', new Blob([new Uint8Array(pngB)], { type: 'image/png' }), 'b.png');
  r = await fetch(`${base}/api/verify`, { method: 'POST', body: big });
  assert.equal(r.status, 413);
  const json = await fetch(`${base}/api/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' + 'x'.repeat(2 * 1024 * 1024) + '}' });
  assert.ok(json.status === 413 || json.status === 415, `oversized JSON: ${json.status}`);
  await stillAnswers();
});
