/**
 * The native kernels (csrc/native) beside the wasm kernels they replace, at the shapes of a
 * training step (256 images): the reference CNN's convolutions (forward with bias and relu,
 * both gradients) and the default MLP's largest GEMMs (forward and both gradients). Each
 * kernel runs through TF.js on the wasm backend, with the addon on and off, interleaved in one
 * process so both see the same machine load; median and best of --reps calls, GFLOP/s of the
 * best, and the ratio of the medians. Off means what ran before the addon: the wasm kernels
 * for the convolutions, onnxruntime's GEMM (where it is installed) for the matmuls.
 *
 *   npm run bench:native [-- --reps 15 --threads 2]
 */
import * as tf from '@tensorflow/tfjs';
import { convEngine, initBackend, setKernelThreads, setNativeKernels } from '../packages/node/src/engine/index.js';
import { printTable } from './lib/torch-reference.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const reps = Number(opt('reps', '15'));
await initBackend('wasm');
setKernelThreads(Number(opt('threads', '2')));
const engine = convEngine();
if (engine.engine !== 'native') throw new Error(`bench:native: the native kernels are not loaded (${engine.reason})`);

interface Case { name: string; macs: number; run: () => tf.Tensor }
const conv = (x: [number, number, number, number], f: [number, number, number, number]): Case[] => {
  const xs = tf.randomNormal(x, 0, 1, 'float32', 1) as tf.Tensor4D;
  const fs = tf.randomNormal(f, 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const b = tf.randomNormal([f[3]], 0, 0.1, 'float32', 3) as tf.Tensor1D;
  const y = tf.conv2d(xs, fs, 1, 'valid');
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
  const macs = y.size * f[0] * f[1] * f[2];
  const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dimRoundingMode: undefined };
  const label = `${x.slice(1).join('x')} * ${f.join('x')}`;
  return [
    // The forward pass of a relu conv layer: the fused kernel natively; conv + bias add + relu on wasm.
    { name: `conv fwd + bias + relu ${label}`, macs, run: () => tf.tidy(() => tf.fused.conv2d({ x: xs, filter: fs, bias: b, activation: 'relu', strides: 1, pad: 'valid' })) },
    { name: `conv filter gradient ${label}`, macs, run: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, { ...attrs, filterShape: f } as unknown as tf.NamedAttrMap) as tf.Tensor },
    { name: `conv input gradient ${label}`, macs, run: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: fs }, { ...attrs, inputShape: x } as unknown as tf.NamedAttrMap) as tf.Tensor },
  ];
};
const gemm = (M: number, K: number, N: number): Case[] => {
  const a = tf.randomNormal([M, K], 0, 1, 'float32', 5);
  const b = tf.randomNormal([K, N], 0, 1, 'float32', 6);
  const at = tf.randomNormal([K, M], 0, 1, 'float32', 7);
  const bt = tf.randomNormal([N, K], 0, 1, 'float32', 8);
  const macs = M * K * N;
  return [
    { name: `gemm A B ${M}x${K}x${N}`, macs, run: () => tf.matMul(a, b) },
    { name: `gemm A^T B ${M}x${K}x${N}`, macs, run: () => tf.matMul(at, b, true, false) },
    { name: `gemm A B^T ${M}x${K}x${N}`, macs, run: () => tf.matMul(a, bt, false, true) },
  ];
};
const cases: Case[] = [...conv([256, 28, 28, 1], [3, 3, 1, 32]), ...conv([256, 13, 13, 32], [3, 3, 32, 64]), ...gemm(256, 784, 512), ...gemm(256, 1600, 128)];

const rows: string[][] = [];
for (const c of cases) {
  const times: Record<'native' | 'wasm', number[]> = { native: [], wasm: [] };
  for (let r = 0; r < reps + 1; r++) {
    for (const mode of ['native', 'wasm'] as const) {
      setNativeKernels(mode === 'native');
      const t0 = performance.now();
      const y = c.run(); // the wasm backend's kernels are synchronous: done when this returns
      const ms = performance.now() - t0;
      y.dispose();
      if (r > 0) times[mode].push(ms); // the first round warms up
    }
  }
  setNativeKernels(true);
  const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
  const best = (xs: number[]) => Math.min(...xs);
  const gflops = (ms: number) => ((2 * c.macs) / ms / 1e6).toFixed(0);
  rows.push([c.name, `${med(times.native).toFixed(2)} / ${best(times.native).toFixed(2)}`, gflops(best(times.native)),
    `${med(times.wasm).toFixed(2)} / ${best(times.wasm).toFixed(2)}`, gflops(best(times.wasm)), `${(med(times.wasm) / med(times.native)).toFixed(2)}x`]);
}
console.log(`native kernels (${engine.isa}) beside what runs without them (wasm kernels; onnxruntime for the GEMMs), ${opt('threads', '2')} thread(s), ${reps} calls each, interleaved`);
printTable(['kernel', 'native ms (median / best)', 'GFLOP/s', 'without ms (median / best)', 'GFLOP/s', 'speed-up'], rows);
