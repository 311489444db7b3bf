/**
 * The CNN step's non-matmul kernels at the reference CNN's shapes (256 images), before and
 * after, interleaved in one process so that both see the same machine load: the stock wasm
 * kernels (captured before ours replace them), the kernel binary of another checkout
 * (--before, e.g. main's wasm/contrastive-kernels.wasm) and this checkout's. One thread
 * (the helper worker is not used here). Median and best of --reps calls each. Conv2D on one
 * thread was XNNPACK's (stock) before; on two, our direct kernel.
 *
 *   node --conditions=contrastive-source --import tsx bench/kernels-ab.ts --before /path/to/main/wasm/contrastive-kernels.wasm [--reps 21]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const reps = Number(opt('reps', '21'));
const beforePath = opt('before', '');
if (!beforePath) throw new Error('kernels-ab: --before <path of the other checkout\'s contrastive-kernels.wasm> is required');

// The stock kernels, read before initBackend registers ours.
const stockAdd = tf.getKernel(tf.Add, 'wasm')!.kernelFunc;
const stockConv = tf.getKernel(tf.Conv2D, 'wasm')!.kernelFunc;
const { initBackend } = await import('../packages/node/src/engine/backend.js');
const KERNELS_WASM_PATH = new URL('../packages/kernels/wasm/contrastive-kernels.wasm', import.meta.url);
const { ptr } = await import('../packages/kernels/src/wasm-module.js');
await initBackend('wasm');
type Backend = Parameters<typeof ptr>[0] & { disposeData(id: object): void; wasm: { asm: { memory: WebAssembly.Memory } } };
const backend = tf.backend() as unknown as Backend;
type Fn = (...a: number[]) => number;
function instantiate(path: string | URL): Record<string, Fn> {
  const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), { env: { memory: backend.wasm.asm.memory } }).exports as unknown as Record<string, Fn> & { __stack_pointer: WebAssembly.Global };
  const stack = backend.wasm._malloc(1 << 16);
  e.__stack_pointer.value = (stack + (1 << 16)) & ~15;
  return e;
}
const before = instantiate(beforePath);
const after = instantiate(KERNELS_WASM_PATH);
const P = (t: tf.Tensor) => ptr(backend, t as unknown as tf.TensorInfo);
const t = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

const x1 = t([256, 26, 26, 32], 1), dy1 = t([256, 26, 26, 32], 2), out1 = t([256, 26, 26, 32], 3), b32 = t([32], 4);
const x2 = t([256, 11, 11, 64], 5), dp2 = t([256, 5, 5, 64], 6), out2 = t([256, 11, 11, 64], 7);
const xc = t([256, 13, 13, 32], 8), wc = t([3, 3, 32, 64], 9), yc = t([256, 11, 11, 64], 10);
const sums = backend.wasm._malloc(4 * 1024);
const scratch = backend.wasm._malloc(4 * (after.conv2d_winograd_scratch(32, 64) + 16));
const n1 = x1.size;
const conv = [256, 13, 13, 32, 11, 11, 64, 3, 3, 1, 1, 1, 1, 0, 0];

const cases: [string, string, () => void, string, () => void][] = [
  ['bias Add [256,26,26,32] + [32]', 'stock Add', () => { const o = stockAdd({ inputs: { a: x1, b: b32 }, backend, attrs: {} } as never) as tf.TensorInfo; backend.disposeData(o.dataId); },
    'add_bias', () => after.add_bias(P(x1), P(b32), P(out1), n1 / 32, 32)],
  ['bias-gradient Sum over [256*26*26, 32]', 'before sum_rows', () => before.sum_rows(P(x1), sums, n1 / 32, 32),
    'after sum_rows', () => after.sum_rows(P(x1), sums, n1 / 32, 32)],
  ['relu gradient + bias-gradient Sum [256,26,26,32]', 'relu_grad + sum_rows', () => { before.relu_grad(P(dy1), P(x1), P(out1), n1); before.sum_rows(P(out1), sums, n1 / 32, 32); },
    'relu_grad_sums', () => after.relu_grad_sums(P(dy1), P(x1), P(out1), sums, n1 / 32, 32)],
  ['MaxPoolGrad 2x2 [256,11,11,64]', 'before', () => before.max_pool_grad(P(x2), P(dp2), P(out2), 256, 11, 11, 64, 5, 5, 2, 2, 1, 1, 2, 2, 0, 0),
    'after', () => after.max_pool_grad(P(x2), P(dp2), P(out2), 256, 11, 11, 64, 5, 5, 2, 2, 1, 1, 2, 2, 0, 0)],
  ['Conv2D 3x3 [256,13,13,32] x [3,3,32,64]', 'stock (XNNPACK)', () => {
    const o = stockConv({ inputs: { x: xc, filter: wc }, backend, attrs: { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 } } as never) as tf.TensorInfo;
    backend.disposeData(o.dataId);
  }, 'Winograd', () => after.conv2d_forward_winograd(P(xc), P(wc), P(yc), scratch, ...conv)],
  ['Conv2D 3x3 [256,13,13,32] x [3,3,32,64]', 'direct conv2d_forward', () => before.conv2d_forward(P(xc), P(wc), P(yc), ...conv),
    'Winograd', () => after.conv2d_forward_winograd(P(xc), P(wc), P(yc), scratch, ...conv)],
];
const median = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
console.log(`| kernel (one thread) | before | ms (median / best) | after | ms (median / best) | before / after (medians) |`);
console.log(`|---|---|---:|---|---:|---:|`);
for (const [name, bn, bf, an, af] of cases) {
  const tb: number[] = [];
  const ta: number[] = [];
  for (let i = 0; i < 2; i++) { bf(); af(); }
  for (let i = 0; i < reps; i++) {
    let t0 = performance.now(); bf(); tb.push(performance.now() - t0);
    t0 = performance.now(); af(); ta.push(performance.now() - t0);
  }
  const f = (v: number[]) => `${median(v).toFixed(2)} / ${Math.min(...v).toFixed(2)}`;
  console.log(`| ${name} | ${bn} | ${f(tb)} | ${an} | ${f(ta)} | ${(median(tb) / median(ta)).toFixed(2)}x |`);
}
