/**
 * A second core for the heavy kernels. The wasm backend's memory cannot be shared with a
 * thread, so a worker_threads worker runs the same kernels (wasm/contrastive-kernels-shared.wasm,
 * built for shared memory) in a shared WebAssembly.Memory of its own: the main thread copies
 * the worker's share of the inputs in (a few MB, small beside the kernel), runs its own share in place, then
 * waits (Atomics.wait) and copies the worker's result back. Kernels stay synchronous.
 */
import type { Worker } from 'node:worker_threads';
import { ContrastiveError } from './errors.js';
import { HostWorker, readPackageFile } from '#platform/host.js';
import { threadPlan } from './threads.js';

/** The shared-memory build of the kernels, run by the worker (a file of this package). */
export const SHARED_KERNELS_WASM_FILE = 'wasm/contrastive-kernels-shared.wasm';

/** Operation codes understood by the worker (index into its table). */
export const WorkerOp = { BackpropFilter: 0, BackpropInput: 1, Forward: 2, MatMul: 3, StreamCopy: 4, ForwardWinograd: 5 } as const;
export type WorkerOp = (typeof WorkerOp)[keyof typeof WorkerOp];

// Control block (Int32): [0] request sequence, [1] completed sequence, [2] ready, [3] error, [4] op, [5..] args.
const REQ = 0, DONE = 1, READY = 2, ERROR = 3, OP = 4, ARGS = 5, CTRL_INTS = 32;
/** Worker memory below this is its shadow stack (the shared build's fixed layout). */
const DATA_BASE = 1 << 20;
const PAGE = 65536;
const MAX_PAGES = 32768; // 2 GiB, the --max-memory of the shared build
const ANSWER_TIMEOUT_MS = 60_000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, ctrl, module } = workerData;
const c = new Int32Array(ctrl);
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
const table = [e.conv2d_backprop_filter, e.conv2d_backprop_input, e.conv2d_forward, e.matmul, e.stream_copy2, e.conv2d_forward_winograd];
Atomics.store(c, ${READY}, 1);
Atomics.notify(c, ${READY});
let seen = 0;
for (;;) {
  Atomics.wait(c, ${REQ}, seen);
  seen = Atomics.load(c, ${REQ});
  try {
    const args = Array.from(c.subarray(${ARGS}, ${CTRL_INTS}));
    table[c[${OP}]](...args);
    c[${ERROR}] = 0;
  } catch (err) {
    c[${ERROR}] = 1;
  }
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

/** The helper thread and its memory. */
export class KernelWorker {
  private readonly memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL_INTS));
  private readonly worker: Worker;
  private seq = 0;
  private next = DATA_BASE;

  constructor() {
    const module = new WebAssembly.Module(readPackageFile(SHARED_KERNELS_WASM_FILE));
    if (!HostWorker) throw new ContrastiveError('UNSUPPORTED', 'KernelWorker: worker threads need Node');
    this.worker = new HostWorker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { memory: this.memory, ctrl: this.ctrl.buffer, module } });
    this.worker.unref(); // an idle helper never keeps the process alive
  }

  /** Waits up to `ms` for the worker to start; false if it did not. */
  waitReady(ms: number): boolean {
    if (Atomics.load(this.ctrl, READY) === 1) return true;
    Atomics.wait(this.ctrl, READY, 0, ms);
    return Atomics.load(this.ctrl, READY) === 1;
  }

  /** Reserves `floats` float32 in worker memory for this call; returns the byte offset. */
  alloc(floats: number): number {
    const at = this.next;
    this.next += Math.ceil((4 * floats) / 16) * 16;
    const pages = Math.ceil(this.next / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (pages > have) this.memory.grow(pages - have);
    return at;
  }

  /** A view of worker memory (taken fresh: growth replaces the buffer). */
  view(offset: number, floats: number): Float32Array {
    return new Float32Array(this.memory.buffer, offset, floats);
  }

  /** Starts `op` on the worker; the caller does its own share, then calls {@link finish}. */
  start(op: WorkerOp, args: number[]): void {
    this.ctrl[OP] = op;
    this.ctrl.set(args, ARGS);
    this.seq++;
    Atomics.store(this.ctrl, REQ, this.seq);
    Atomics.notify(this.ctrl, REQ);
  }

  /** Waits for the worker's share and frees this call's worker memory. */
  finish(): void {
    // The worker's 'exit' event cannot reach a main thread blocked here, so a dead worker is
    // detected by a deadline instead (a share of any real batch takes well under a second).
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    while (Atomics.load(this.ctrl, DONE) !== this.seq) {
      if (Date.now() > deadline) {
        helper = null; // later calls run on the main thread
        throw new ContrastiveError('STATE', `wasm kernels: the helper thread did not answer within ${ANSWER_TIMEOUT_MS / 1000} s (setKernelThreads(1) runs without it)`);
      }
      Atomics.wait(this.ctrl, DONE, this.seq - 1, 100);
    }
    this.next = DATA_BASE;
    if (this.ctrl[ERROR] !== 0) throw new ContrastiveError('STATE', 'wasm kernels: the helper thread failed');
  }
}

let helper: KernelWorker | null | undefined;

/** The helper worker when the thread plan gives one and it started; null otherwise (run single-threaded). */
export function kernelWorker(): KernelWorker | null {
  if (threadPlan().helper === 0 || !HostWorker) return null;
  if (helper === undefined) {
    try {
      helper = new KernelWorker();
      if (!helper.waitReady(10_000)) helper = null;
    } catch {
      helper = null;
    }
  }
  return helper;
}
