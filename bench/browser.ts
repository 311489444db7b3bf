/**
 * One training step of the reference Siamese CNN (bench/train.ts: 28x28x1 -> conv32 -> pool
 * -> conv64 -> pool -> fc128 -> fc64, 128 pairs = 256 images a step, contrastive loss, Adam)
 * in one headless chromium page, on each backend a page has: stock TF.js wasm, webgl
 * (SwiftShader: headless chromium here has no GPU), cpu, and wasm with our kernels
 * registered (`useBackend('wasm')`). The page is bench/browser-page.ts bundled by esbuild
 * and served on 127.0.0.1. Stock TF.js 4.22 wasm cannot train this network at all: it has no
 * Conv2DBackpropFilter kernel; the table says so rather than showing a figure. Median of the
 * timed steps after a warm-up (webgl's warm-up step compiles its shaders). The ratios are ours over
 * each stock backend. Ends with one JSON line: `project` is wasm with our kernels, `reference`
 * the fastest stock backend that trains, `ratio` project / reference.
 *
 *   npm run bench:browser [-- --iters 5 --warmup 2 --slow-iters 1 --pairs 128 --backends wasm-stock,webgl,cpu,wasm-kernels --from source|dist]
 *
 * webgl on SwiftShader and cpu take tens of seconds to minutes a step at 128 pairs (cpu's
 * Conv2DBackpropFilter is plain JS loops): they get --slow-iters timed steps (default 1),
 * webgl after one warm-up step, cpu after none; --iters and --warmup are for wasm.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundlePage, type BundleFrom } from '../scripts/browser-bundle.js';
import { launchChromium, serveFolder } from '../scripts/page-runner.js';
import type { BenchBackend, StepOptions, StepTiming } from './browser-page.js';
import { median, printTable } from './lib/torch-reference.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const pairs = Number(opt('pairs', '128'));
const iters = Number(opt('iters', '5'));
const warmup = Number(opt('warmup', '2'));
const slowIters = Number(opt('slow-iters', '1'));
const from = opt('from', 'source') as BundleFrom;
const ORDER: BenchBackend[] = ['wasm-stock', 'webgl', 'cpu', 'wasm-kernels'];
const backends = opt('backends', ORDER.join(',')).split(',') as BenchBackend[];
for (const b of backends) if (!ORDER.includes(b)) throw new Error(`--backends: unknown '${b}' (expected ${ORDER.join(', ')})`);
// Stock wasm first: registering our kernels replaces wasm kernels for the rest of the page.
const planned = ORDER.filter((b) => backends.includes(b));
const images = 2 * pairs;

const LABELS: Record<BenchBackend, string> = {
  'wasm-stock': 'TF.js wasm (stock)',
  webgl: 'TF.js webgl (SwiftShader)',
  cpu: 'TF.js cpu',
  'wasm-kernels': 'wasm + contrastive kernels',
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-browser-'));
const server = await serveFolder(tmp);
const browser = await launchChromium();
const results: Partial<Record<BenchBackend, StepTiming>> = {};
let userAgent = '';
try {
  await bundlePage({ entry: 'bench/browser-page.ts', outDir: tmp, from });
  writeFileSync(path.join(tmp, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><body><script type="module" src="./browser-page.js"></script></body>');
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${server.url}/`);
  await page.waitForSelector('body[data-ready=true]', { state: 'attached' });
  userAgent = await page.evaluate(() => (globalThis as unknown as { browserBench: { userAgent: string } }).browserBench.userAgent);
  for (const which of planned) {
    const options: StepOptions = which === 'cpu' ? { pairs, warmup: 0, iters: slowIters } : which === 'webgl' ? { pairs, warmup: 1, iters: slowIters } : { pairs, warmup, iters };
    const t0 = Date.now();
    results[which] = await page.evaluate(
      ([w, o]) => (globalThis as unknown as { browserBench: { timeStep(w: BenchBackend, o: StepOptions): Promise<StepTiming> } }).browserBench.timeStep(w, o),
      [which, options] as const,
    );
    console.error(`${LABELS[which]}: ${results[which]!.error ? `cannot train (${results[which]!.error})` : `${results[which]!.ms.length} timed step(s)`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
}

const speed = (r: StepTiming | undefined): number | null => (r && !r.error && r.ms.length ? (images * 1000) / median(r.ms) : null);
const ours = speed(results['wasm-kernels']);
const chromium = /Chrome\/([\d.]+)/.exec(userAgent)?.[1] ?? '?';
console.log(`browser: reference Siamese CNN, one training step of ${pairs} pairs (${images} images), contrastive loss, Adam; headless chromium ${chromium}, one page, backends one after another`);
console.log(`machine: ${os.cpus()[0]?.model ?? '?'} x ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}; wasm: median of ${iters} steps after ${warmup} warm-up; webgl: ${slowIters} after 1; cpu: ${slowIters}, no warm-up`);
const rows = planned.map((which) => {
  const r = results[which]!;
  const s = speed(r);
  if (s === null) return [LABELS[which], 'cannot train', '-', '-', r.error ?? 'no timed step'];
  const ratio = ours !== null && which !== 'wasm-kernels' ? `${(ours / s).toFixed(2)}x` : '-';
  return [LABELS[which], s.toFixed(1), median(r.ms).toFixed(0), ratio, `loss ${r.firstLoss.toFixed(4)} -> ${r.lastLoss.toFixed(4)}`];
});
printTable(['backend', 'images/s', 'ms/step', 'ours is', 'note'], rows);

const stock = (['wasm-stock', 'webgl', 'cpu'] as const).filter((b) => speed(results[b]) !== null);
const fastest = stock.reduce<BenchBackend | null>((best, b) => (best === null || speed(results[b])! > speed(results[best])! ? b : best), null);
const reference = fastest ? speed(results[fastest]) : null;
const round = (v: number | null): number | null => (v === null ? null : Number(v.toFixed(2)));
console.log(JSON.stringify({
  bench: 'browser',
  project: round(ours),
  reference: round(reference),
  referenceBackend: fastest,
  unit: 'images/s',
  ratio: ours !== null && reference ? round(ours / reference) : null,
  wasmStock: round(speed(results['wasm-stock'])),
  wasmStockError: results['wasm-stock']?.error ?? null,
  webgl: round(speed(results.webgl)),
  cpu: round(speed(results.cpu)),
  chromium,
}));
