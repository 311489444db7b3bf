/**
 * The nearest references of every query, in blocks of queries so memory stays
 * bounded: ranking scores from knn-scores.ts, the top k of each row kept by a
 * partial selection (row-select.ts, never a sort of the whole row; large searches
 * share it with worker threads, parallel-select.ts), ties broken by the smaller
 * reference index. Shared by `knn` and the retrieval metrics.
 */
import { ContrastiveError, check } from '../errors.js';
import type { DistanceName } from '../distances/names.js';
import { isDistanceObject, type DistanceLike } from '../distances/distance.js';
import type { EmbeddingMatrix } from './inputs.js';
import { nativeOrt, nativeOrtError } from '@contrastive/kernels/internal/onnx/runtime.js';
import { OnnxScorer } from './onnx-scores.js';
import { selectRow, sortBuffers, type SortBuffers } from './row-select.js';
import { availableHelpers, ParallelRowSelector } from './parallel-select.js';
import { distanceObjectBlocks, onnxScoreBlocks, prepare, tfjsScoreBlocks, transposed, type ScoreBlocks } from './knn-scores.js';

/** Bytes the distance block of one query block may take. */
export const BLOCK_BYTES = 64 * 1024 * 1024;

/**
 * Which engine computes the ranking scores: 'onnxruntime' (onnxruntime-node's
 * CPU provider, all cores, AVX2/AVX-512), 'tfjs' (matMul on the active
 * TensorFlow.js backend), or 'auto': onnxruntime where it loads (Node.js with
 * onnxruntime-node installed), TF.js elsewhere (browsers).
 * @group Evaluation
 */
export type KnnEngine = 'auto' | 'onnxruntime' | 'tfjs';

const ENGINES: readonly KnnEngine[] = ['auto', 'onnxruntime', 'tfjs'];

/** Throws a ContrastiveError naming `fn` when `engine` is not a {@link KnnEngine}. */
export function checkKnnEngine(engine: unknown, fn: string): asserts engine is KnnEngine {
  check(typeof engine === 'string' && (ENGINES as readonly string[]).includes(engine), fn, `unknown engine '${String(engine)}' (expected one of ${ENGINES.join(', ')})`);
}

/** Up to this many neighbours per row (self included) onnxruntime's TopK selects them; above it JS does. */
export const ORT_TOPK_MAX = 256;
/** Bytes of one score block returned by onnxruntime (about 128 rows of 60,000). */
const ORT_SCORES_BYTES = 30 * 1024 * 1024;
/** Searches with at least this many scores (queries x references) select on every core. */
const PARALLEL_MIN_SCORES = 2 ** 24;
/** Column indices come back from the TopK graph as float32: exact below this. */
export const FLOAT_EXACT_INDEX = 2 ** 24;

/** How {@link forEachNeighbourList} searches (all optional). */
export interface NeighbourSearch {
  /** Queries per block (default: as many as fit in 64 MB of scores, at most 1024). */
  blockRows?: number;
  /** Score engine (default 'auto'). */
  engine?: KnnEngine;
  /** Function named in errors (default 'knn'). */
  fn?: string;
  /** Worker threads that share the selection of large searches (default: one per further core from 2^24 scores up; 0: none). */
  selectHelpers?: number;
}

/** Receives one query's nearest references: the first `k` entries of `indices` (a reused buffer). */
export type NeighbourVisit = (row: number, indices: Int32Array, k: number) => void;

/**
 * Calls `visit(row, indices, k)` for every query with its k = min(kForRow(row), maxK) nearest
 * references by ranking score (nearest first, ties by smaller index). The
 * `indices` buffer is reused between calls. Used by {@link knn} and the
 * retrieval metrics.
 */
export function forEachNeighbourList(
  queries: EmbeddingMatrix,
  refs: EmbeddingMatrix,
  distance: DistanceLike,
  excludeSelf: boolean,
  maxK: number,
  kForRow: (row: number) => number,
  visit: NeighbourVisit,
  search: NeighbourSearch = {},
): void {
  const fn = search.fn ?? 'knn';
  const engine = search.engine ?? 'auto';
  checkKnnEngine(engine, fn);
  const ort = engine === 'tfjs' ? null : nativeOrt();
  if (engine === 'onnxruntime' && !ort) throw new ContrastiveError('UNSUPPORTED', `${fn}: engine 'onnxruntime' is not available here: ${nativeOrtError()}; use engine 'tfjs'`);
  if (isDistanceObject(distance)) {
    // A user's distance: its own matrix in blocks (TF.js), then the same selection.
    const nr = refs.rows;
    const cap = Math.max(1, Math.min(nr, maxK));
    const sb = search.blockRows ?? Math.max(1, Math.min(1024, Math.floor(BLOCK_BYTES / 4 / nr)));
    const kOf = (row: number): number => Math.min(kForRow(row), excludeSelf && row < nr ? nr - 1 : nr, cap);
    const blocks = distanceObjectBlocks(queries, refs, distance, fn);
    try {
      selectOnMainThread({ blocks, nq: queries.rows, nr, sb, cap, excludeSelf, kOf, visit });
    } finally {
      blocks.dispose();
    }
    return;
  }
  const p = prepare(queries, refs, distance as DistanceName);
  const { width, nq, nr } = p;
  const bq = search.blockRows ?? Math.max(1, Math.min(1024, Math.floor(BLOCK_BYTES / 4 / nr)));
  const cap = Math.max(1, Math.min(nr, maxK));
  const idx = new Int32Array(cap);
  const kOf = (row: number): number => Math.min(kForRow(row), excludeSelf && row < nr ? nr - 1 : nr, cap);
  // one more than needed when the own row may be among the nearest
  const topK = Math.min(nr, cap + (excludeSelf ? 1 : 0));
  if (ort && topK <= ORT_TOPK_MAX && nr < FLOAT_EXACT_INDEX) {
    const scorer = new OnnxScorer(ort, transposed(p), width, nr, { kind: 'topK', k: topK });
    try {
      for (let q0 = 0; q0 < nq; q0 += bq) {
        const rows = Math.min(bq, nq - q0);
        const nearest = scorer.run(p.q.subarray(q0 * width, (q0 + rows) * width), rows).index;
        for (let i = 0; i < rows; i++) {
          const row = q0 + i;
          const k = kOf(row);
          let m = 0;
          for (let t = i * topK; m < k; t++) {
            const j = nearest[t];
            if (!(excludeSelf && j === row)) idx[m++] = j;
          }
          visit(row, idx, Math.max(k, 0));
        }
      }
    } finally {
      scorer.dispose();
    }
    return;
  }
  // onnxruntime returns each block in a fresh buffer: below glibc's mmap threshold it reuses freed memory instead of faulting in new pages
  const sb = ort ? (search.blockRows ?? Math.max(1, Math.min(1024, Math.floor(ORT_SCORES_BYTES / 4 / nr)))) : bq;
  const blocks = ort ? onnxScoreBlocks(ort, p) : tfjsScoreBlocks(p, bq);
  try {
    const helpers = search.selectHelpers ?? (nq * nr >= PARALLEL_MIN_SCORES ? availableHelpers() : 0);
    const selection: Selection = { blocks, nq, nr, sb, cap, excludeSelf, kOf, visit };
    if (helpers > 0) selectInParallel(selection, helpers);
    else selectOnMainThread(selection);
  } finally {
    blocks.dispose();
  }
}

/** The selection stage's inputs: score blocks of `sb` queries, `cap` neighbours kept at most, k per row from `kOf`. */
interface Selection {
  blocks: ScoreBlocks;
  nq: number;
  nr: number;
  sb: number;
  cap: number;
  excludeSelf: boolean;
  kOf: (row: number) => number;
  visit: NeighbourVisit;
}

function selectOnMainThread({ blocks, nq, nr, sb, cap, excludeSelf, kOf, visit }: Selection): void {
  const idx = new Int32Array(cap);
  const vals = new Float32Array(cap);
  let buffers: SortBuffers | undefined;
  for (let q0 = 0; q0 < nq; q0 += sb) {
    const rows = Math.min(sb, nq - q0);
    const scores = blocks.scores(q0, rows);
    const scoreBits = new Uint32Array(scores.buffer, scores.byteOffset, scores.length);
    for (let i = 0; i < rows; i++) {
      const row = q0 + i;
      const k = kOf(row);
      if (k <= 0) {
        visit(row, idx, 0);
        continue;
      }
      buffers ??= sortBuffers(nr);
      selectRow(scores, scoreBits, i * nr, nr, k, excludeSelf ? row : -1, idx, vals, buffers);
      visit(row, idx, k);
    }
  }
}

/** As {@link selectOnMainThread}, with each block's rows shared between this thread and `helpers` worker threads. */
function selectInParallel({ blocks, nq, nr, sb, cap, excludeSelf, kOf, visit }: Selection, helpers: number): void {
  const sel = new ParallelRowSelector(Math.min(sb, nq), nr, cap, helpers);
  try {
    for (let q0 = 0; q0 < nq; q0 += sb) {
      const rows = Math.min(sb, nq - q0);
      sel.scores.set(blocks.scores(q0, rows).subarray(0, rows * nr));
      for (let i = 0; i < rows; i++) {
        sel.ks[i] = Math.max(0, kOf(q0 + i));
        sel.skips[i] = excludeSelf ? q0 + i : -1;
      }
      sel.select(rows);
      for (let i = 0; i < rows; i++) visit(q0 + i, sel.out.subarray(i * cap, (i + 1) * cap), sel.ks[i]);
    }
  } finally {
    sel.dispose();
  }
}

