/**
 * Retrieval quality of an index from its own answers: every labelled item is
 * a query (its stored embedding) against all the others, through the index's
 * search; P@1, R-precision, MAP@R and Recall@K as retrievalMetrics defines
 * them, beside retrievalMetrics on the same embeddings.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { retrievalMetrics, type RetrievalMetrics } from 'contrastive/internal/eval/retrieval.js';
import { EmbeddingIndex, type SearchMode, type TargetOptions } from '@contrastive/index/internal/index.js';
import type { ProgressListener } from 'contrastive/internal/util/progress.js';

/** Options of {@link indexRetrievalMetrics}. @group Index */
export interface IndexRetrievalOptions extends TargetOptions {
  /** How the index searches (default 'exact'). */
  mode?: SearchMode;
  efSearch?: number;
  /** Queries per search call (default 256). */
  blockQueries?: number;
  /**
   * Told how far the two long parts have come: 'searching the index' (queries
   * answered) and then 'retrieval metrics' (the reference's queries ranked); 30,000 items take a minute or more.
   */
  onProgress?: ProgressListener;
}

/** What {@link indexRetrievalMetrics} returns. @group Index */
export interface IndexRetrieval {
  /** Metrics computed from the index's search results. */
  fromIndex: RetrievalMetrics;
  /** retrievalMetrics on the stored embeddings (the reference; equal up to ranking of exact ties). */
  reference: RetrievalMetrics;
  items: number;
  seconds: number;
}

/**
 * Every labelled item of the index at `target` queries the index; the
 * answers are scored against the labels.
 *
 * @throws ContrastiveError when no label has two members.
 * @group Index
 */
export async function indexRetrievalMetrics(target: string, options: IndexRetrievalOptions = {}): Promise<IndexRetrieval> {
  const fn = 'index eval';
  const block = options.blockQueries ?? 256;
  check(Number.isInteger(block) && block >= 1, fn, `blockQueries must be a positive integer, got ${block}`);
  const index = await EmbeddingIndex.open(target, options);
  try {
    const t0 = performance.now();
    const { items, vectors } = await index.all();
    const dim = index.dim;
    const counts = new Map<string, number>();
    for (const it of items) if (it.label !== null) counts.set(it.label, (counts.get(it.label) ?? 0) + 1);
    const rows = items.map((it, i) => i).filter((i) => (counts.get(items[i].label ?? '') ?? 0) > 1 && items[i].label !== null);
    if (rows.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: no label of ${index.where} has two or more items, so no query has a relevant item`);
    let p1 = 0;
    let rp = 0;
    let map = 0;
    const rk = { 1: 0, 5: 0, 10: 0 };
    for (let b0 = 0; b0 < rows.length; b0 += block) {
      const chunk = rows.slice(b0, b0 + block);
      const q = new Float32Array(chunk.length * dim);
      chunk.forEach((r, j) => q.set(vectors.subarray(r * dim, (r + 1) * dim), j * dim));
      // R + 1 (the item itself comes back too), and at least 11 for Recall@10
      const k = Math.min(items.length, Math.max(11, ...chunk.map((r) => (counts.get(items[r].label!) as number))));
      // each answer as the labels of the neighbours, the query itself left out
      let answers: (string | null)[][];
      if ((options.mode ?? 'exact') === 'exact') {
        const r = await index.searchRows(q, chunk.length, { k });
        answers = chunk.map((self, j) => {
          const out: (string | null)[] = [];
          for (let t = 0; t < r.k; t++) {
            const row = r.rows[j * r.k + t];
            if (row !== self) out.push(r.items[row].label);
          }
          return out;
        });
      } else {
        const hits = await index.searchMany(q, chunk.length, { k, mode: options.mode, efSearch: options.efSearch });
        answers = chunk.map((self, j) => hits[j].filter((h) => h.id !== items[self].id).map((h) => h.label));
      }
      options.onProgress?.({ task: 'searching the index', done: Math.min(b0 + block, rows.length), total: rows.length });
      chunk.forEach((r, j) => {
        const label = items[r].label!;
        const R = (counts.get(label) as number) - 1;
        let hits = 0;
        let ap = 0;
        let first = -1;
        answers[j].forEach((l, t) => {
          if (l !== label) return;
          if (first < 0) first = t;
          if (t < R) {
            hits++;
            ap += hits / (t + 1);
          }
        });
        if (first === 0) p1++;
        rp += hits / R;
        map += ap / R;
        if (first >= 0 && first < 1) rk[1]++;
        if (first >= 0 && first < 5) rk[5]++;
        if (first >= 0 && first < 10) rk[10]++;
      });
    }
    const n = rows.length;
    const fromIndex: RetrievalMetrics = { precisionAt1: p1 / n, rPrecision: rp / n, mapAtR: map / n, recallAtK: { 1: rk[1] / n, 5: rk[5] / n, 10: rk[10] / n }, queries: n };
    const seconds = (performance.now() - t0) / 1000;
    // the reference: the same labelled items' embeddings through retrievalMetrics
    const labelIds = new Map<string, number>();
    const y = new Int32Array(items.length);
    items.forEach((it, i) => {
      const key = it.label ?? `\u0000unlabelled-${i}`; // an unlabelled item is relevant to nobody
      if (!labelIds.has(key)) labelIds.set(key, labelIds.size);
      y[i] = labelIds.get(key)!;
    });
    const reference = retrievalMetrics(vectors, y, { dim, distance: index.distance, onProgress: options.onProgress });
    return { fromIndex, reference, items: items.length, seconds };
  } finally {
    await index.close();
  }
}
