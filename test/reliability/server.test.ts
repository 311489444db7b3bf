// The server under load and abuse, on 127.0.0.1 only: 250 verify requests at concurrency 50
// with zero errors (p50/p99 latency printed), malformed multipart, slow and silent clients,
// path traversal on the static routes - each answered with the right 4xx (or cut off), and the
// server still answering afterwards. And what a web page or a greedy client cannot make it do:
// answer a Host it does not know (DNS rebinding) or a POST from another origin,
// be framed or sniffed, hold more upload memory or heavy requests than its limits (503 +
// Retry-After past them), keep a trickling client past the documented deadline, block on a
// FIFO or grow on /dev/zero behind an indexed picture, or outlive SIGTERM by more than seconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { createServeApp } from '../../packages/cli/src/serve/index.js';
import { openBundle, runTraining, type OpenBundle } from '../../packages/cli/src/jobs/index.js';
import { EmbeddingIndex } from '../../packages/index/src/index.js';
import { bundleIdentity } from '../../packages/node/src/embed/bundle-identity.js';
import { writeIdxSet } from '../support/data.js';
import { startServe } from '../support/cli.js';

let dir = '';
let app: FastifyInstance;
let base = '';
let port = 0;
let pngA: Buffer;
let pngB: Buffer;
let bundle: OpenBundle;
let bundleDir = '';
let index: EmbeddingIndex;
let indexFile = '';
let fifo = '';

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-server-'));
  await writeIdxSet(path.join(dir, 'data'), 200, 4);
  const run = await runTraining({ report: false, dataset: `idx:${path.join(dir, 'data')}`, hidden: [16], embeddingDim: 8, out: path.join(dir, 'run'), backend: 'wasm', train: { epochs: 1, pairsPerEpoch: 200, batchSize: 40 } });
  run.network.dispose();
  bundleDir = run.bundleDir;
  bundle = await openBundle(run.bundleDir);
  const png = (v: number) => sharp(Buffer.alloc(64, v), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer();
  pngA = await png(30);
  pngB = await png(220);
  // An index whose items' pictures became what no picture should be: a FIFO, /dev/zero, a folder, 65 MiB.
  const pictures = path.join(dir, 'pictures');
  await fs.mkdir(path.join(pictures, 'folder'), { recursive: true });
  await fs.writeFile(path.join(pictures, 'a.png'), pngA);
  fifo = path.join(pictures, 'fifo.png');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  await fs.symlink('/dev/zero', path.join(pictures, 'zero.png'));
  await fs.writeFile(path.join(pictures, 'huge.png'), '');
  await fs.truncate(path.join(pictures, 'huge.png'), 65 * 1024 * 1024); // sparse: no disk used
  indexFile = path.join(dir, 'pictures.sqlite');
  const created = await EmbeddingIndex.create(indexFile, { dim: 8, model: await bundleIdentity(bundleDir) });
  const items = { png: 'a.png', fifo: 'fifo.png', zero: 'zero.png', folder: 'folder', huge: 'huge.png' };
  await created.add(Object.entries(items).map(([id, file], i) => ({ id, label: 'x', source: path.join(pictures, file), vector: Array.from({ length: 8 }, (_, j) => (i + j) / 8) })));
  await created.close();
  index = await EmbeddingIndex.open(indexFile, { model: await bundleIdentity(bundleDir) });
  app = await createServeApp({ bundle, index, map: false, requestTimeoutMs: 1500 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  // Before the fix a FIFO read blocked a pool thread of this process for ever: a writer lets it end.
  for (let i = 0; i < 8; i++) {
    const w = await fs.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null);
    if (!w) break;
    await w.close();
  }
  await app?.close();
  await index?.close();
  bundle?.network.dispose();
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

test('load: 250 verify requests at concurrency 50, no errors, one answer for all', async () => {
  // Five requests per client: every client waits behind the others several times over, which is
  // the property; more rounds repeat it.
  const total = 250;
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

/** Status and JSON body of a raw HTTP/1.1 answer. */
function parse(text: string): { status: number; headers: string; body: string } {
  const [head, ...rest] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: rest.join('\r\n\r\n') };
}

test('Host allow-list: a DNS-rebinding name gets 403 on every route and no data; localhost, addresses and allowed names are served', async () => {
  const secret = JSON.stringify(bundle.manifest.threshold);
  for (const [method, route] of [['GET', '/'], ['GET', '/api/model'], ['GET', '/bundle/model.json'], ['GET', '/bundle/manifest.json'], ['GET', '/api/picture?id=png'], ['POST', '/api/search'], ['GET', '/nowhere']]) {
    for (const host of [`attacker.example:${port}`, 'attacker.example', `localhost.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
      const r = parse(await raw(`${method} ${route} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
      assert.equal(r.status, 403, `${method} ${route} for ${host}`);
      assert.equal(JSON.parse(r.body).code, 'HOST_NOT_ALLOWED');
      assert.ok(!r.body.includes(secret) && !r.body.includes('weightsManifest') && !r.body.includes(dir), `${route}: nothing of the model or the disk`);
    }
  }
  const noHost = parse(await raw('GET /api/model HTTP/1.0\r\n\r\n'));
  assert.equal(noHost.status, 403, 'HTTP/1.0 without Host');
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, '127.0.0.1', `192.168.1.20:${port}`]) {
    const r = parse(await raw(`GET /api/model HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    assert.equal(r.status, 200, host);
  }
  // A name the server is told (the CLI's --host / --allow-host) is served; others still are not.
  const named = await createServeApp({ bundle, map: false, allowedHosts: ['models.lan'] });
  try {
    assert.equal((await named.inject({ url: '/api/model', headers: { host: 'models.lan:8080' } })).statusCode, 200);
    assert.equal((await named.inject({ url: '/api/model', headers: { host: 'other.lan:8080' } })).statusCode, 403);
  } finally {
    await named.close();
  }
  await stillAnswers();
});

test('Origin: POSTs from another origin (multipart "simple" requests included) are 403; the page\'s own and scripts without Origin are served', async () => {
  const refused: Array<Record<string, string>> = [
    { origin: 'http://attacker.example' },
    { origin: `http://localhost:${port + 1}` },
    { origin: 'null' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
  ];
  for (const headers of refused) {
    for (const route of ['/api/verify', '/api/embed', '/api/search']) {
      const r = await fetch(`${base}${route}`, { method: 'POST', body: verifyForm(), headers });
      assert.equal(r.status, 403, `${route} ${JSON.stringify(headers)}`);
      assert.equal(((await r.json()) as { code: string }).code, 'CROSS_ORIGIN');
    }
    // text/plain is the other "simple" type a page can post without asking
    const text = await fetch(`${base}/api/search`, { method: 'POST', body: '{"embedding":[]}', headers: { ...headers, 'content-type': 'text/plain' } });
    assert.equal(text.status, 403);
  }
  for (const headers of [{ origin: base }, { origin: base, 'sec-fetch-site': 'same-origin' }, {}] as Array<Record<string, string>>) {
    const r = await fetch(`${base}/api/verify`, { method: 'POST', body: verifyForm(), headers });
    assert.equal(r.status, 200, JSON.stringify(headers));
  }
});

test('security headers: the page has a CSP that allows only itself (and its import map by hash), no framing, no sniffing; every answer has them', async () => {
  const page = await fetch(`${base}/`);
  const html = await page.text();
  const csp = page.headers.get('content-security-policy') ?? '';
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.ok(csp.includes(`'sha256-${createHash('sha256').update(importMap).digest('base64')}'`), csp);
  for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "connect-src 'self'", "'wasm-unsafe-eval'"]) assert.ok(csp.includes(directive), `${directive} in ${csp}`);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
  assert.doesNotMatch(csp, /'unsafe-eval'/, "the page runs without eval ('wasm-unsafe-eval' only compiles WebAssembly)");
  assert.doesNotMatch(csp, /https?:/, 'no other host');
  const answers = [page, await fetch(`${base}/api/model`), await fetch(`${base}/nowhere`), await fetch(`${base}/api/picture?id=png`), await fetch(`${base}/api/verify`, { method: 'POST', body: verifyForm(), headers: { origin: 'http://attacker.example' } })];
  for (const r of answers) {
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', r.url);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', r.url);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', r.url);
    assert.equal(r.headers.get('cross-origin-resource-policy'), 'same-origin', r.url);
    assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, r.url);
  }
  assert.match((await fetch(`${base}/api/model`)).headers.get('content-security-policy') ?? '', /^default-src 'none'/, 'an API answer opened as a page runs nothing');
});

/** A client that stalls mid-upload: its socket, and what it received when the server closed it. */
interface Stalled {
  socket: net.Socket;
  /** The server's answer (raw HTTP) and when the connection closed, ms after it opened. */
  closed: Promise<{ text: string; ms: number }>;
}

/**
 * Opens a POST whose headers promise `length` body bytes and sends only `sent` of them:
 * the server has admitted it (a turn, and its declared bytes reserved) and waits for the rest.
 */
function stalledUpload(toPort: number, route: string, length: number, sent = 200): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let text = '';
    const socket = net.connect(toPort, '127.0.0.1', () => {
      socket.write(`POST ${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: ${length}\r\n\r\n`);
      socket.write(`--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${'x'.repeat(sent)}`);
      resolve({ socket, closed: new Promise((done) => socket.once('close', () => done({ text, ms: performance.now() - t0 }))) });
    });
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The server's load as GET /api/model reports it: heavy requests running and waiting, upload bytes held. */
async function loadOf(url: string): Promise<{ running: number; waiting: number; bufferedBytes: number }> {
  return ((await (await fetch(`${url}/api/model`)).json()) as { load: { running: number; waiting: number; bufferedBytes: number } }).load;
}

function embedForm(files: number, bytes: number): FormData {
  const form = new FormData();
  for (let i = 0; i < files; i++) form.append('image', new Blob([new Uint8Array(i === 0 ? pngA : Buffer.alloc(bytes, 1))], { type: 'image/png' }), `${i}.png`);
  return form;
}

test('upload memory is one budget for all requests: one too large is a 413 before it is read, one that does not fit beside the others a 503 with Retry-After', async () => {
  const MiB = 1024 * 1024;
  const tight = await createServeApp({ bundle, map: false, maxUploadBytes: MiB, maxBufferedBytes: 3 * MiB, requestTimeoutMs: 5000 });
  const tightPort = (await tight.listen({ host: '127.0.0.1', port: 0 }), (tight.server.address() as net.AddressInfo).port);
  const url = `http://127.0.0.1:${tightPort}`;
  const holders: Stalled[] = [];
  try {
    // Four files of ~0.9 MiB (and a small one): each under the per-file cap, together over the 3 MiB budget.
    const alone = await fetch(`${url}/api/embed`, { method: 'POST', body: embedForm(5, 900 * 1024) });
    assert.equal(alone.status, 413);
    assert.match(((await alone.json()) as { error: string }).error, /pass the 3145728-byte limit on one request/);
    // Another client holds 2.5 MiB of the budget while it (slowly) uploads.
    holders.push(await stalledUpload(tightPort, '/api/embed', 2.5 * MiB));
    await until('the holder admitted', async () => ((await loadOf(url)).bufferedBytes === 2.5 * MiB ? true : null));
    const busy = await fetch(`${url}/api/embed`, { method: 'POST', body: embedForm(4, 300 * 1024) });
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '1');
    const body = (await busy.json()) as { code: string; error: string };
    assert.equal(body.code, 'BUSY');
    assert.match(body.error, /other uploads fill the upload memory/);
    // Requests that buffer nothing are still answered.
    assert.equal((await fetch(`${url}/api/model`)).status, 200);
    // The holder goes: its bytes come back, and the same request is served.
    holders.pop()!.socket.destroy();
    await until('the budget given back', async () => ((await loadOf(url)).bufferedBytes === 0 ? true : null));
    const ok = await fetch(`${url}/api/embed`, { method: 'POST', body: embedForm(4, 300 * 1024) });
    assert.equal(ok.status, 422, 'read, then refused only because the filler bytes are no image'); // the budget let it in
    assert.deepEqual(await loadOf(url), { running: 0, waiting: 0, bufferedBytes: 0 });
  } finally {
    for (const h of holders) h.socket.destroy();
    await tight.close();
  }
});

test('heavy requests: a few at a time, a short queue, then 503 with Retry-After; one not answered in time is a 503 TIMEOUT and gives its turn back', async () => {
  const handlerTimeoutMs = 3000;
  const gated = await createServeApp({ bundle, map: false, maxConcurrent: 2, maxQueued: 1, handlerTimeoutMs, requestTimeoutMs: 20_000 });
  const gatedPort = (await gated.listen({ host: '127.0.0.1', port: 0 }), (gated.server.address() as net.AddressInfo).port);
  const url = `http://127.0.0.1:${gatedPort}`;
  const stalled: Stalled[] = [];
  try {
    // Two slow uploads take both turns; a third waits in the queue ...
    stalled.push(await stalledUpload(gatedPort, '/api/embed', 5000), await stalledUpload(gatedPort, '/api/embed', 5000));
    await until('two running', async () => ((await loadOf(url)).running === 2 ? true : null));
    stalled.push(await stalledUpload(gatedPort, '/api/embed', 5000));
    assert.deepEqual(await until('one waiting', async () => ((l) => (l.waiting === 1 ? l : null))(await loadOf(url))), { running: 2, waiting: 1, bufferedBytes: 10_000 });
    // ... so a fourth finds the queue full, at once.
    const full = await fetch(`${url}/api/verify`, { method: 'POST', body: verifyForm() });
    assert.equal(full.status, 503);
    assert.equal(full.headers.get('retry-after'), '1');
    const body = (await full.json()) as { code: string; error: string };
    assert.equal(body.code, 'BUSY');
    assert.match(body.error, /2 requests running and 1 waiting/);
    assert.equal((await fetch(`${url}/api/model`)).status, 200, '/api/model is not held up');
    // The stalled ones are answered 503 TIMEOUT at the handler timeout (not after the 20 s request timeout) and closed.
    const [first, second, third] = await Promise.all(stalled.map((h) => h.closed));
    for (const [name, c] of Object.entries({ first, second })) {
      assert.match(c.text, /^HTTP\/1\.1 503/, name);
      assert.match(c.text, /"code":"TIMEOUT"/, name);
      assert.ok(c.ms >= handlerTimeoutMs - 100 && c.ms < handlerTimeoutMs + 3000, `${name} closed after ${c.ms.toFixed(0)} ms`);
    }
    assert.match(third.text, /"code":"TIMEOUT"/, 'the queued one too');
    // Their turns and bytes came back.
    await until('turns given back', async () => ((l) => (l.running === 0 && l.waiting === 0 && l.bufferedBytes === 0 ? true : null))(await loadOf(url)));
    assert.equal((await fetch(`${url}/api/verify`, { method: 'POST', body: verifyForm() })).status, 200);
  } finally {
    for (const h of stalled) h.socket.destroy();
    await gated.close();
  }
});

test('a trickling client is cut at the request timeout counted from when it connected, not from its first byte', async () => {
  const timeoutMs = 3000;
  const strict = await createServeApp({ bundle, map: false, requestTimeoutMs: timeoutMs });
  const strictPort = (await strict.listen({ host: '127.0.0.1', port: 0 }), (strict.server.address() as net.AddressInfo).port);
  const cut = (send: (s: net.Socket) => void): Promise<{ ms: number; got: string }> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      let got = '';
      const socket = net.connect(strictPort, '127.0.0.1', () => send(socket));
      socket.on('data', (d) => (got += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ ms: performance.now() - t0, got }));
      setTimeout(() => reject(new Error('still open after 15 s')), 15_000).unref();
    });
  const timers: NodeJS.Timeout[] = [];
  const trickle = (s: net.Socket, text: string, every: number): void => {
    let i = 0;
    const t = setInterval(() => {
      if (i < text.length && !s.destroyed) s.write(text[i++]);
    }, every);
    timers.push(t);
  };
  try {
    const head = 'POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 100000\r\n\r\n';
    const [late, body, kept] = await Promise.all([
      // silent until shortly before the timeout, then one header byte every 400 ms (Node's own clock starts at that byte)
      cut((s) =>
        timers.push(
          setTimeout(() => {
            s.write(head[0]);
            trickle(s, head.slice(1), 400);
          }, timeoutMs - 700),
        ),
      ),
      // headers at once, then the body one byte every 400 ms
      cut((s) => {
        s.write(head);
        trickle(s, '--xyz\r\nContent-Disposition: form-data; name="a"; filename="a.png"\r\n\r\n', 400);
      }),
      // a kept-alive connection: one answer, then the next request trickles
      cut((s) => {
        s.write('GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        s.once('data', () => trickle(s, head, 400));
      }),
    ]);
    const slack = 1200; // timer and scheduling delays on a loaded machine
    assert.ok(late.ms < timeoutMs + slack, `late starter cut after ${late.ms.toFixed(0)} ms (Node alone: ~${timeoutMs * 2} ms)`);
    assert.ok(body.ms < timeoutMs + slack, `slow body cut after ${body.ms.toFixed(0)} ms`);
    assert.equal(late.got, '', 'headers never came: closed without a word, as Node does');
    assert.match(body.got, /^HTTP\/1\.1 408/);
    // documented: the next request on a kept-alive connection within 5 s (keep-alive) + the timeout of the last answer
    assert.ok(kept.ms < 5000 + timeoutMs + slack && kept.got.startsWith('HTTP/1.1 200'), `kept-alive connection cut after ${kept.ms.toFixed(0)} ms`);
  } finally {
    timers.forEach((t) => clearInterval(t));
    await strict.close();
  }
});

test('indexed pictures: a FIFO, /dev/zero, a folder or a 65 MiB file are refused at once; nothing blocks or grows, verify keeps answering', async () => {
  const get = (id: string) => fetch(`${base}/api/picture?id=${id}`, { signal: AbortSignal.timeout(10_000) });
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  // More FIFO requests than libuv has pool threads (4): before, they held every thread for ever.
  const answers = await Promise.all([...Array.from({ length: 8 }, () => get('fifo')), get('zero'), get('zero'), get('folder'), get('huge')]);
  const ms = performance.now() - t0;
  const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, ...((await r.json()) as { code: string; error: string }) })));
  for (const b of bodies) {
    assert.equal(b.status, 422, b.error);
    assert.equal(b.code, 'UNREADABLE_PICTURE');
  }
  assert.match(bodies[0].error, /item 'fifo': .*fifo\.png: is a FIFO \(named pipe\), not a regular file/);
  assert.match(bodies[8].error, /is a character device, not a regular file/);
  assert.match(bodies[10].error, /is a folder, not a regular file/);
  assert.match(bodies[11].error, /65\.0 MiB.*64\.0 MiB/);
  assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
  const grown = (process.memoryUsage().rss - rss0) / 1024 / 1024;
  assert.ok(grown < 200, `the process grew ${grown.toFixed(0)} MB`);
  const verify = await fetch(`${base}/api/verify`, { method: 'POST', body: verifyForm(), signal: AbortSignal.timeout(10_000) });
  assert.equal(verify.status, 200);
  const picture = await get('png');
  assert.equal(picture.headers.get('content-type'), 'image/png');
  await fs.readFile(path.join(dir, 'pictures', 'a.png')); // the process's own file reads are not starved either
});

test('SIGTERM stops contrastive serve within seconds whatever is in flight (a stalled upload, FIFO pictures)', async () => {
  const served = await startServe(['--model', bundleDir, '--index', indexFile, '--port', '0', '--no-map']);
  const servedPort = Number(new URL(served.url).port);
  const stalled: Stalled[] = [];
  try {
    const pictures = await Promise.all(Array.from({ length: 6 }, () => fetch(`${served.url}/api/picture?id=fifo`, { signal: AbortSignal.timeout(10_000) })));
    assert.deepEqual(pictures.map((r) => r.status), Array(6).fill(422));
    assert.equal((await fetch(`${served.url}/api/verify`, { method: 'POST', body: verifyForm() })).status, 200);
    stalled.push(await stalledUpload(servedPort, '/api/embed', 100_000), await stalledUpload(servedPort, '/api/verify', 100_000));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
    served.child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 15_000))]);
    const ms = performance.now() - t0;
    assert.notEqual(code, 'running', 'still running 15 s after SIGTERM');
    assert.equal(code, 0);
    assert.ok(ms < 6000, `stopped ${ms.toFixed(0)} ms after SIGTERM`);
    assert.match(served.stderr(), /requests still running after 3 s; stopping anyway/);
  } finally {
    for (const s of stalled) s.socket.destroy();
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
  }
});
