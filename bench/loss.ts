/**
 * bench:loss: pairs/s of the contrastive loss, forward + both gradients, at
 * N = 262144 pairs of d = 128 on the wasm backend: the fused pass (csrc/loss.c,
 * wasm SIMD) beside the TF.js-ops version of the same loss, and PyTorch CPU
 * (2 threads) when a Python with torch is found (bench/lib/torch-reference.ts). Also prints the memory
 * bound measured in the same run: a wasm SIMD streaming pass (csrc/kernels.c stream_copy2)
 * that reads emb1 and emb2 and writes both gradients, the least traffic the loss must move and
 * nothing else, on one thread (in the backend's heap, where the fused pass runs) and on two
 * (the helper worker streaming half the rows in its own memory at the same time); the bound is
 * the faster of the two, at its best run, as pairs/s. The fused pass runs on one thread over the
 * same bytes plus its arithmetic, so it cannot exceed it.
 * Ends with one JSON line.
 *
 *   npm run bench:loss            (BENCH_N, BENCH_D, BENCH_REPEATS override the sizes)
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { findTorchPython, torchEnv } from './lib/torch-reference.js';
import { initBackend } from '../packages/node/src/engine/backend.js';
import { contrastiveLoss } from '../packages/contrastive/src/losses/index.js';
import { Rng } from '../packages/contrastive/src/util/rng.js';
import type { TensorInfo } from '@tensorflow/tfjs';
import { kernelWorker, WorkerOp } from '../packages/kernels/src/kernel-worker.js';
import { together } from '../packages/kernels/src/split.js';
import { kernelsFor, ptr, type WasmBackendLike } from '../packages/kernels/src/wasm-module.js';

const N = Number(process.env.BENCH_N ?? 262144);
const D = Number(process.env.BENCH_D ?? 128);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);

/** Median seconds of `run` over REPEATS timed runs, after 2 warm-up runs. */
function medianSeconds(run: () => void): number {
  for (let i = 0; i < 2; i++) run();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function measureTfjs(implementation: 'fused' | 'ops', e1: tf.Tensor2D, e2: tf.Tensor2D, labels: Float32Array): number {
  const lossAndGrads = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => contrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, { implementation }));
  const seconds = medianSeconds(() => {
    const { value, grads } = lossAndGrads([e1, e2]);
    value.dataSync(); // the wasm backend is synchronous: the gradients exist once this returns
    tf.dispose([value, ...grads]);
  });
  return N / seconds;
}

/** Fastest seconds of `run` over REPEATS timed runs, after 2 warm-up runs (a bound takes the best). */
function bestSeconds(run: () => void): number {
  for (let i = 0; i < 2; i++) run();
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

/**
 * Pairs/s of the streaming bound: stream_copy2 over N x D floats (read emb1, emb2; write two
 * gradients) on one thread and on two; returns both.
 */
function measureStreamBound(): { one: number; two: number | null } {
  const backend = tf.backend() as unknown as WasmBackendLike;
  const k = kernelsFor(backend);
  const [a, b, ga, gb] = [0, 1, 2, 3].map(() => tf.zeros([N, D]));
  const p = (t: tf.Tensor) => ptr(backend, t as unknown as TensorInfo);
  try {
    const one = N / bestSeconds(() => k.stream_copy2(p(a), p(b), p(ga), p(gb), N * D));
    const worker = kernelWorker();
    if (!worker) return { one, two: null };
    const half = Math.floor(N / 2);
    const rest = (N - half) * D;
    const two = N / bestSeconds(() => {
      const at = [0, 1, 2, 3].map(() => worker.alloc(rest));
      together(worker, WorkerOp.StreamCopy, [at[0], at[1], at[2], at[3], rest], () => k.stream_copy2(p(a), p(b), p(ga), p(gb), half * D));
    });
    return { one, two };
  } finally {
    tf.dispose([a, b, ga, gb]);
  }
}

const PYTORCH = `
import time, torch
torch.set_num_threads(2)
N, D, R = ${N}, ${D}, ${REPEATS}
g = torch.Generator().manual_seed(1)
a = torch.randn(N, D, generator=g, requires_grad=True)
b = torch.randn(N, D, generator=g, requires_grad=True)
y = (torch.arange(N) % 2 == 0).float()
def step():
    a.grad = None; b.grad = None
    d = torch.sqrt(((a - b) ** 2).sum(1))
    loss = ((1 - y) * 0.5 * d ** 2 + y * 0.5 * torch.clamp(1.0 - d, min=0) ** 2).mean()
    loss.backward()
for _ in range(2): step()
ts = []
for _ in range(R):
    t0 = time.perf_counter(); step(); ts.append(time.perf_counter() - t0)
ts.sort()
print(N / ts[len(ts) // 2])
`;

function measurePytorch(): number | null {
  const python = findTorchPython();
  if (python === null) return null;
  const run = spawnSync(python, ['-c', PYTORCH], { encoding: 'utf8', env: torchEnv(2) });
  if (run.status !== 0) return null;
  const value = Number(run.stdout.trim().split('\n').pop());
  return Number.isFinite(value) ? value : null;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const rng = new Rng(42);
  const x1 = new Float32Array(N * D);
  const x2 = new Float32Array(N * D);
  for (let i = 0; i < x1.length; i++) {
    // std 1/16 per value: D is about 1 = the margin, so about half the dissimilar pairs are active
    x1[i] = rng.normal() * 0.0625;
    x2[i] = rng.normal() * 0.0625;
  }
  const labels = new Float32Array(N);
  for (let i = 0; i < N; i += 2) labels[i] = 1;
  const e1 = tf.tensor2d(x1, [N, D]);
  const e2 = tf.tensor2d(x2, [N, D]);

  const fused = measureTfjs('fused', e1, e2, labels);
  const ops = measureTfjs('ops', e1, e2, labels);
  tf.dispose([e1, e2]);
  const stream = measureStreamBound();
  const bound = Math.max(stream.one, stream.two ?? 0);
  const torch = measurePytorch();

  const fmt = (v: number | null) => (v === null ? 'reference unavailable' : `${(v / 1e6).toFixed(2)} M pairs/s`);
  console.log(`contrastive loss, forward + both gradients, N=${N}, d=${D}, median of ${REPEATS}, backend ${tf.getBackend()}`);
  console.log(`  ${'fused pass (wasm SIMD)'.padEnd(28)} ${fmt(fused)}`);
  console.log(`  ${'TF.js ops'.padEnd(28)} ${fmt(ops)}`);
  console.log(`  ${'PyTorch CPU, 2 threads'.padEnd(28)} ${fmt(torch)}`);
  const gbs = (v: number) => `${((v * 2 * 2 * D * 4) / 1e9).toFixed(1)} GB/s read + write`;
  console.log(`  ${'stream bound, 1 thread'.padEnd(28)} ${fmt(stream.one)}  (${gbs(stream.one)})`);
  console.log(`  ${'stream bound, 2 threads'.padEnd(28)} ${fmt(stream.two)}${stream.two === null ? '' : `  (${gbs(stream.two)})`}`);
  console.log(`  fused / TF.js ops: ${(fused / ops).toFixed(2)}x; fused / memory bound (the faster stream pass): ${((100 * fused) / bound).toFixed(0)}%`);
  const round = (v: number) => Math.round(v);
  console.log(
    JSON.stringify({
      bench: 'loss',
      project: round(fused),
      reference: torch === null ? null : round(torch),
      unit: 'pairs/s',
      ratio: torch === null ? null : Number((fused / torch).toFixed(3)),
      tfjsOps: round(ops),
      memoryBound: round(bound),
      memoryBound1Thread: round(stream.one),
      memoryBound2Threads: stream.two === null ? null : round(stream.two),
    }),
  );
}

await main();
