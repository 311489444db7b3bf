/**
 * bench:loss: pairs/s of the contrastive loss, forward + both gradients, at
 * N = 262144 pairs of d = 128 on the wasm backend: the fused pass (csrc/loss.c,
 * wasm SIMD) beside the TF.js-ops version of the same loss, and PyTorch CPU
 * (2 threads) when a Python with torch is found (bench/lib/torch-reference.ts). Also prints the memory
 * bound measured in the same run: the time to copy the bytes the loss must move
 * (read emb1 and emb2, write both gradients) with native memcpy, as pairs/s.
 * Ends with one JSON line.
 *
 *   npm run bench:loss            (BENCH_N, BENCH_D, BENCH_REPEATS override the sizes)
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { findTorchPython, torchEnv } from './lib/torch-reference.js';
import { initBackend } from '../src/engine/backend.js';
import { contrastiveLoss } from '../src/losses/index.js';
import { Rng } from '../src/util/rng.js';

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

/** Pairs/s of the memory bound: native copies of emb1 -> grad1 and emb2 -> grad2 (the loss's minimum traffic). */
function measureCopyBound(x1: Float32Array, x2: Float32Array): number {
  const g1 = new Float32Array(x1.length);
  const g2 = new Float32Array(x2.length);
  const seconds = medianSeconds(() => {
    g1.set(x1);
    g2.set(x2);
  });
  return N / seconds;
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
  const bound = measureCopyBound(x1, x2);
  const torch = measurePytorch();

  const fmt = (v: number | null) => (v === null ? 'reference unavailable' : `${(v / 1e6).toFixed(2)} M pairs/s`);
  console.log(`contrastive loss, forward + both gradients, N=${N}, d=${D}, median of ${REPEATS}, backend ${tf.getBackend()}`);
  console.log(`  ${'fused pass (wasm SIMD)'.padEnd(28)} ${fmt(fused)}`);
  console.log(`  ${'TF.js ops'.padEnd(28)} ${fmt(ops)}`);
  console.log(`  ${'PyTorch CPU, 2 threads'.padEnd(28)} ${fmt(torch)}`);
  console.log(`  ${'memory bound (memcpy)'.padEnd(28)} ${fmt(bound)}  (${((bound * 2 * 2 * D * 4) / 1e9).toFixed(1)} GB/s read + write)`);
  console.log(`  fused / TF.js ops: ${(fused / ops).toFixed(2)}x; fused / memory bound: ${((100 * fused) / bound).toFixed(0)}%`);
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
    }),
  );
}

await main();
