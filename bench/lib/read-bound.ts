/**
 * The fastest read of a gallery's bytes available here: an upper bound on
 * exact searches of one query at a time, since each must read every stored
 * vector once. Several read passes, each timed as the best of `reps`, on one
 * thread and on every core; the bound is the fastest of them, and the pass
 * that set it is named:
 *
 * - memchr (Buffer.indexOf of an absent byte) on 1 thread, and on every core
 *   (worker threads, each over its slice of one SharedArrayBuffer);
 * - onnxruntime (MLAS, every core): ReduceSum and ReduceMax over the gallery,
 *   and a MatMul of the gallery with one vector both ways round (a GEMV: the
 *   least work a query can do on the vectors), spinning threads on and off.
 *
 * Where the gallery fits in the last-level cache (read from
 * /sys/devices/system/cpu/cpu0/cache), these are cache reads, not DRAM reads.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { nativeOrt, openNativeSession } from '../../packages/kernels/src/onnx/runtime.js';
import type { OnnxModel, OnnxNode, OnnxTensor } from '../../packages/kernels/src/onnx/proto.js';

/** One timed read pass. */
export interface ReadPass {
  name: string;
  threads: number;
  gbps: number;
}

/** What {@link measureReadBound} found. */
export interface ReadBound {
  passes: ReadPass[];
  /** The fastest pass: the bound. */
  best: ReadPass;
  /** The last-level cache, when /sys tells it. */
  cache: { level: number; bytes: number; text: string } | null;
}

/** The largest cache level of cpu0 as the kernel reports it, or null. */
export function lastLevelCache(): { level: number; bytes: number; text: string } | null {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  let best: { level: number; bytes: number; text: string } | null = null;
  try {
    for (const e of readdirSync(dir)) {
      if (!e.startsWith('index')) continue;
      const read = (f: string): string => readFileSync(path.join(dir, e, f), 'utf8').trim();
      const level = Number(read('level'));
      const text = read('size'); // e.g. '491520K'
      const m = /^(\d+)([KMG]?)$/.exec(text);
      if (!m) continue;
      const bytes = Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as const)[m[2] as '' | 'K' | 'M' | 'G'];
      if (!best || level > best.level) best = { level, bytes, text: `${(bytes / 1024 ** 2).toFixed(0)} MiB` };
    }
  } catch {
    return null;
  }
  return best;
}

function bestMs(run: () => void, reps: number): number {
  run();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    run();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

// each worker scans its slice whenever the generation in ctl[0] moves on, then counts itself done in ctl[1]
const WORKER = `
const { workerData } = require('node:worker_threads');
const { sab, ctl, part, threads } = workerData;
const all = Buffer.from(sab);
const slice = all.subarray(Math.min(all.length, part * Math.ceil(all.length / threads)), Math.min(all.length, (part + 1) * Math.ceil(all.length / threads)));
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (gen < 0) break;
  if (slice.indexOf(8) !== -1) throw new Error('unexpected byte');
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}
`;

/** memchr over `bytes` on `threads` worker threads at once, best of `reps`, in ms. */
async function parallelMemchr(bytes: number, threads: number, reps: number): Promise<number> {
  const sab = new SharedArrayBuffer(bytes);
  new Uint8Array(sab).fill(7);
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const workers = Array.from({ length: threads }, (_, part) => new Worker(WORKER, { eval: true, workerData: { sab, ctl, part, threads } }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => (w.once('online', resolve), w.once('error', reject)))));
    let gen = 0;
    return bestMs(() => {
      Atomics.store(ctl, 1, 0);
      Atomics.store(ctl, 0, ++gen);
      Atomics.notify(ctl, 0);
      for (let done = Atomics.load(ctl, 1); done < threads; done = Atomics.load(ctl, 1)) Atomics.wait(ctl, 1, done, 1000);
    }, reps);
  } finally {
    Atomics.store(ctl, 0, -1);
    Atomics.notify(ctl, 0);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Times the read passes over `gallery` ([n, dim] float32) and returns them with the fastest.
 *
 * @param reps timed repetitions per pass (the best counts).
 */
export async function measureReadBound(gallery: Float32Array, n: number, dim: number, reps = 20): Promise<ReadBound> {
  const bytes = gallery.byteLength;
  const threads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const passes: ReadPass[] = [];
  const add = (name: string, t: number, ms: number): void => void passes.push({ name, threads: t, gbps: bytes / ms / 1e6 });

  const buf = Buffer.alloc(bytes, 7);
  add('memchr', 1, bestMs(() => {
    if (buf.indexOf(8) !== -1) throw new Error('unexpected byte');
  }, reps));
  if (threads > 1) add('memchr', threads, await parallelMemchr(bytes, threads, reps));

  const ort = nativeOrt();
  if (ort) {
    const x = new ort.Tensor('float32', gallery, [n, dim]);
    const xt = new ort.Tensor('float32', gallery, [dim, n]); // the same bytes read as [dim, n]: the layout of our scan
    const row = new ort.Tensor('float32', new Float32Array(dim).fill(0.5), [1, dim]);
    const col = new ort.Tensor('float32', new Float32Array(dim).fill(0.5), [dim, 1]);
    const axes: OnnxTensor = { name: 'axes', dims: [1], data: BigInt64Array.from([1n]) };
    const keep0 = { keepdims: { kind: 'int', value: 0 } } as const;
    const graphs: Array<{ name: string; node: OnnxNode; inits: OnnxTensor[]; inputs: Array<{ name: string; shape: number[] }>; out: number[]; feeds: Record<string, unknown> }> = [
      { name: 'onnxruntime ReduceSum', node: { opType: 'ReduceSum', name: 'r', inputs: ['x', 'axes'], outputs: ['y'], attributes: keep0 }, inits: [axes], inputs: [{ name: 'x', shape: [n, dim] }], out: [n], feeds: { x } },
      { name: 'onnxruntime ReduceMax', node: { opType: 'ReduceMax', name: 'r', inputs: ['x'], outputs: ['y'], attributes: { ...keep0, axes: { kind: 'ints', value: [1] } } }, inits: [], inputs: [{ name: 'x', shape: [n, dim] }], out: [n], feeds: { x } },
      { name: 'onnxruntime MatMul gallery x vector', node: { opType: 'MatMul', name: 'm', inputs: ['x', 'v'], outputs: ['y'] }, inits: [], inputs: [{ name: 'x', shape: [n, dim] }, { name: 'v', shape: [dim, 1] }], out: [n, 1], feeds: { x, v: col } },
      { name: 'onnxruntime MatMul vector x gallery^T', node: { opType: 'MatMul', name: 'm', inputs: ['v', 'x'], outputs: ['y'] }, inits: [], inputs: [{ name: 'v', shape: [1, dim] }, { name: 'x', shape: [dim, n] }], out: [1, n], feeds: { v: row, x: xt } },
    ];
    for (const g of graphs) {
      const model: OnnxModel = { irVersion: 8, opsetVersion: 13, producerName: 'bench', producerVersion: '0', graphName: 'read', nodes: [g.node], initializers: g.inits, inputs: g.inputs, outputs: [{ name: 'y', shape: g.out }] };
      let best = Infinity;
      for (const spinning of [true, false]) {
        const s = openNativeSession(ort, model, threads, spinning);
        try {
          best = Math.min(best, bestMs(() => s.run(g.feeds, { y: null }, {}), reps));
        } finally {
          s.dispose();
        }
      }
      add(g.name, threads, best);
    }
  }
  const best = passes.reduce((a, b) => (b.gbps > a.gbps ? b : a));
  return { passes, best, cache: lastLevelCache() };
}
