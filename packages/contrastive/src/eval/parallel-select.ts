/**
 * Row selection of a score block split over worker threads: the main thread
 * and the helper threads take the rows one at a time from a shared counter
 * (so a thread slowed down by other processes simply takes fewer), all from
 * one shared copy of the block. On large searches (retrieval metrics
 * ranking R ~ 6,000 neighbours of each of 60,000 queries) the selection costs
 * about as much as the GEMM, and this runs it on every core.
 *
 * Helpers run the source of row-select.ts (the same functions as the main
 * thread) and are driven through Atomics on shared memory, so the search stays
 * synchronous. A helper that does not answer within the deadline is dropped
 * and its rows are selected on the main thread: results never depend on the
 * helpers.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import { HostWorker, IS_NODE, hostCores } from '@contrastive/kernels/internal/host.js';
import { rowSelectSource, selectRow, sortBuffers, type SortBuffers } from './row-select.js';

/** Control words shared with a helper. */
const SEQ = 0; // job number posted by the main thread (-1: exit)
const DONE = 1; // last job number the helper finished
const FAILED = 2; // 1 when the helper's last job threw
/** Words of the shared work counter: next row to take, rows in the block. */
const NEXT = 0;
const ROWS = 1;

/** How long the main thread waits for a helper's share before selecting it itself. */
const HELPER_DEADLINE_MS = 60_000;

function helperSource(): string {
  return `
const { workerData } = require('node:worker_threads');
${rowSelectSource()}
const ctrl = new Int32Array(workerData.ctrl);
const scores = new Float32Array(workerData.scores);
const bits = new Uint32Array(workerData.scores);
const ks = new Int32Array(workerData.ks);
const skips = new Int32Array(workerData.skips);
const out = new Int32Array(workerData.out);
const work = new Int32Array(workerData.work);
const done = new Uint8Array(workerData.done);
const nr = workerData.nr;
const cap = workerData.cap;
const vals = new Float32Array(cap);
let buffers = null;
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  const seq = Atomics.load(ctrl, ${SEQ});
  if (seq < 0) break;
  seen = seq;
  try {
    const rows = Atomics.load(work, ${ROWS});
    for (let i = Atomics.add(work, ${NEXT}, 1); i < rows; i = Atomics.add(work, ${NEXT}, 1)) {
      const k = ks[i];
      if (k > 0) {
        buffers ??= sortBuffers(nr);
        selectRow(scores, bits, i * nr, nr, k, skips[i], out.subarray(i * cap, i * cap + cap), vals, buffers);
      }
      Atomics.store(done, i, 1);
    }
    Atomics.store(ctrl, ${FAILED}, 0);
  } catch (err) {
    Atomics.store(ctrl, ${FAILED}, 1);
  }
  Atomics.store(ctrl, ${DONE}, seq);
  Atomics.notify(ctrl, ${DONE});
}
`;
}

interface Helper {
  worker: NodeWorker;
  ctrl: Int32Array;
  alive: boolean;
}

/** Helper threads worth starting here (one per further core), 0 where worker threads are unavailable. */
export function availableHelpers(): number {
  if (!IS_NODE || !HostWorker) return 0;
  return Math.max(0, Math.min(7, hostCores() - 1));
}

/**
 * Selects the neighbours of every row of score blocks [rows <= maxRows, nr]
 * with `helpers` worker threads besides the main one. Write a block into
 * {@link scores}, each row's k into {@link ks} and excluded column into
 * {@link skips}, call {@link select}, then read row i's neighbours from
 * {@link out} at i * cap.
 */
export class ParallelRowSelector {
  readonly scores: Float32Array;
  readonly ks: Int32Array;
  readonly skips: Int32Array;
  readonly out: Int32Array;
  private readonly bits: Uint32Array;
  private readonly work: Int32Array;
  /** 1 once row i of the current block is selected. */
  private readonly done: Uint8Array;
  private readonly helpers: Helper[] = [];
  private readonly vals: Float32Array;
  private buffers: SortBuffers | undefined;
  private seq = 0;

  constructor(
    maxRows: number,
    private readonly nr: number,
    private readonly cap: number,
    helpers: number,
  ) {
    // Shared memory only where helpers share it (a page that is not cross-origin isolated has none).
    const Memory: new (bytes: number) => ArrayBufferLike = helpers > 0 && HostWorker ? SharedArrayBuffer : ArrayBuffer;
    const scores = new Memory(maxRows * nr * 4);
    const ks = new Memory(maxRows * 4);
    const skips = new Memory(maxRows * 4);
    const out = new Memory(maxRows * cap * 4);
    this.scores = new Float32Array(scores);
    this.bits = new Uint32Array(scores);
    this.ks = new Int32Array(ks);
    this.skips = new Int32Array(skips);
    this.out = new Int32Array(out);
    this.vals = new Float32Array(cap);
    const work = new Memory(2 * 4);
    const done = new Memory(maxRows);
    this.work = new Int32Array(work);
    this.done = new Uint8Array(done);
    if (helpers > 0 && HostWorker) {
      const Worker = HostWorker;
      const source = helperSource();
      for (let h = 0; h < helpers; h++) {
        const ctrl = new Int32Array(new SharedArrayBuffer(8 * 4));
        const worker = new Worker(source, { eval: true, execArgv: [], workerData: { ctrl: ctrl.buffer, scores, ks, skips, out, work, done, nr, cap } });
        worker.unref();
        this.helpers.push({ worker, ctrl, alive: true });
      }
    }
  }

  /** Selects rows 0 .. rows - 1 of the block in {@link scores} into {@link out}. */
  select(rows: number): void {
    const live = this.helpers.filter((h) => h.alive);
    const seq = ++this.seq;
    this.done.fill(0, 0, rows);
    Atomics.store(this.work, ROWS, rows);
    Atomics.store(this.work, NEXT, 0);
    for (const h of live) {
      Atomics.store(h.ctrl, SEQ, seq);
      Atomics.notify(h.ctrl, SEQ);
    }
    for (let i = Atomics.add(this.work, NEXT, 1); i < rows; i = Atomics.add(this.work, NEXT, 1)) this.selectRow(i);
    let missing = false;
    for (const h of live) {
      const deadline = Date.now() + HELPER_DEADLINE_MS;
      while (Atomics.load(h.ctrl, DONE) !== seq && Date.now() < deadline) Atomics.wait(h.ctrl, DONE, Atomics.load(h.ctrl, DONE), 100);
      if (Atomics.load(h.ctrl, DONE) !== seq || Atomics.load(h.ctrl, FAILED) !== 0) {
        // a dead, stuck or failing helper: drop it; its rows are selected here below
        this.drop(h);
        missing = true;
      }
    }
    if (missing) for (let i = 0; i < rows; i++) if (Atomics.load(this.done, i) === 0) this.selectRow(i);
  }

  private selectRow(i: number): void {
    const { nr, cap } = this;
    const k = this.ks[i];
    if (k > 0) {
      this.buffers ??= sortBuffers(nr);
      selectRow(this.scores, this.bits, i * nr, nr, k, this.skips[i], this.out.subarray(i * cap, i * cap + cap), this.vals, this.buffers);
    }
    Atomics.store(this.done, i, 1);
  }

  private drop(h: Helper): void {
    h.alive = false;
    void h.worker.terminate();
  }

  /** Helper threads still in use (a helper that missed its deadline or failed is dropped). */
  get liveHelpers(): number {
    return this.helpers.filter((h) => h.alive).length;
  }

  /** Stops the helper threads. */
  dispose(): void {
    for (const h of this.helpers) {
      if (!h.alive) continue;
      h.alive = false;
      Atomics.store(h.ctrl, SEQ, -1);
      Atomics.notify(h.ctrl, SEQ);
    }
  }
}
