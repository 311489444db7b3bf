/**
 * Selection of the k smallest scores of one row, ties by the smaller column
 * index: by insertion into a sorted buffer for small k, by a sampled
 * pre-filter and a stable radix sort for large k. The functions are
 * self-contained (no imports, no closures) because {@link rowSelectSource}
 * ships their source to worker threads, so that both run the same code.
 */

/** Up to this k the top k is kept by insertion into a sorted buffer; above it by a radix sort of candidates. */
const SMALL_K = 64;

/**
 * The top min(k, ...) of row `off / n` of `s` (scores, with `bits` their
 * Uint32 view) into `idx`, excluding column `skip` (-1: none).
 */
export function selectRow(s: Float32Array, bits: Uint32Array, off: number, n: number, k: number, skip: number, idx: Int32Array, vals: Float32Array, b: SortBuffers): void {
  if (k <= SMALL_K) selectByInsertion(s, off, n, k, skip, idx, vals);
  else selectBySort(s, bits, off, n, k, skip, idx, b);
}

/** Top k of one row by insertion into a sorted buffer; equal scores keep index order. */
function selectByInsertion(s: Float32Array, off: number, n: number, k: number, skip: number, idx: Int32Array, vals: Float32Array): void {
  let count = 0;
  let worst = Infinity;
  for (let j = 0; j < n; j++) {
    const v = s[off + j];
    if (v < worst || count < k) {
      if (j === skip) continue;
      let pos = count < k ? count++ : k - 1;
      while (pos > 0 && vals[pos - 1] > v) {
        vals[pos] = vals[pos - 1];
        idx[pos] = idx[pos - 1];
        pos--;
      }
      vals[pos] = v;
      idx[pos] = j;
      if (count === k) worst = vals[k - 1];
    }
  }
}

/** Rows longer than this are pre-filtered by a sampled threshold before the sort. */
const SAMPLE = 1024;
/**
 * Radix digit: 12 bits. Keys are taken relative to the smallest candidate, so
 * two passes sort candidates whose scores lie within about two binades (the
 * usual case), three any 32-bit keys.
 */
const RADIX_BITS = 12;
const RADIX = 1 << RADIX_BITS;

/** Work buffers of {@link selectBySort}, sized for one row. */
export interface SortBuffers {
  keys: Uint32Array;
  index: Int32Array;
  keys2: Uint32Array;
  index2: Int32Array;
  counts: Uint32Array;
  sample: Float32Array;
}

export function sortBuffers(n: number): SortBuffers {
  return {
    keys: new Uint32Array(n),
    index: new Int32Array(n),
    keys2: new Uint32Array(n),
    index2: new Int32Array(n),
    counts: new Uint32Array(RADIX),
    sample: new Float32Array(SAMPLE),
  };
}

/**
 * Top k of one row for large k: candidates (every entry at or below a
 * threshold estimated from a strided sample, 3 standard deviations above the
 * k/n quantile; the whole row when that keeps fewer than k) are collected in
 * index order and sorted by a stable LSD radix sort on the order-preserving
 * bits of their float32 score, so equal scores stay in index order.
 */
function selectBySort(s: Float32Array, bits: Uint32Array, off: number, n: number, k: number, skip: number, idx: Int32Array, b: SortBuffers): void {
  let limit = Infinity;
  if (n > 4 * SAMPLE) {
    for (let t = 0; t < SAMPLE; t++) b.sample[t] = s[off + Math.floor((t * n) / SAMPLE)];
    const pos = sampleRank(k, n, SAMPLE);
    if (pos < SAMPLE) limit = nthSmallest(b.sample, pos);
  }
  const { keys, index } = b;
  let m = 0;
  for (let pass = 0; pass < 2 && m < k; pass++) {
    m = 0;
    // branch-free compaction: always write, advance only for a kept entry (the comparison is unpredictable)
    for (let j = 0; j < n; j++) {
      keys[m] = bits[off + j];
      index[m] = j;
      m += s[off + j] <= limit ? 1 : 0;
    }
    if (skip >= 0 && skip < n && s[off + skip] <= limit) {
      // drop the own row, keeping index order (ties are broken by it)
      let t = 0;
      while (index[t] !== skip) t++;
      keys.copyWithin(t, t + 1, m);
      index.copyWithin(t, t + 1, m);
      m--;
    }
    limit = Infinity;
  }
  for (let i = 0; i < m; i++) keys[i] = orderedKey(keys[i]);
  radixSelect(m, k, idx, b);
}

/** The value of rank `pos` (0-based) of `a`, by quickselect; reorders `a`. */
function nthSmallest(a: Float32Array, pos: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (pos <= j) hi = j;
    else if (pos >= i) lo = i;
    else break;
  }
  return a[pos];
}

/**
 * Position in a sorted sample of `samples` of a row of n scores at which the
 * k-th smallest of the row lies with near certainty: 3 standard deviations
 * above the k/n quantile, plus 2.
 */
function sampleRank(k: number, n: number, samples: number): number {
  const p = k / n;
  return Math.ceil(p * samples + 3 * Math.sqrt(p * (1 - p) * samples) + 2);
}

/** Unsigned key with the order of the float32 whose bits are `u` (negatives flipped, positives above them). */
function orderedKey(u: number): number {
  return u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
}

/**
 * Puts the first k of the m candidates in `b.keys` / `b.index` (index order)
 * into `idx`, by key, by a stable LSD radix sort (equal keys stay in index
 * order). Keys are taken relative to the smallest, so candidates spanning a
 * narrow range of scores need two passes instead of three.
 */
function radixSelect(m: number, k: number, idx: Int32Array, b: SortBuffers): void {
  let keys = b.keys;
  let index = b.index;
  let keys2 = b.keys2;
  let index2 = b.index2;
  const counts = b.counts;
  let lo = 0xffffffff;
  let hi = 0;
  for (let i = 0; i < m; i++) {
    const u = keys[i];
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  for (let i = 0; i < m; i++) keys[i] = (keys[i] - lo) >>> 0;
  const range = (hi - lo) >>> 0;
  for (let shift = 0; shift < 32 && range >>> shift !== 0; shift += RADIX_BITS) {
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[(keys[i] >>> shift) & (RADIX - 1)]++;
    if (counts[(keys[0] >>> shift) & (RADIX - 1)] === m) continue; // one digit value: nothing to do
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < m; i++) {
      const pos = counts[(keys[i] >>> shift) & (RADIX - 1)]++;
      keys2[pos] = keys[i];
      index2[pos] = index[i];
    }
    [keys, keys2] = [keys2, keys];
    [index, index2] = [index2, index];
  }
  for (let t = 0; t < k; t++) idx[t] = index[t];
}

/**
 * JavaScript source defining every function and constant of this module
 * (for a worker thread evaluating it).
 */
export function rowSelectSource(): string {
  const constants = `const SMALL_K = ${SMALL_K}; const SAMPLE = ${SAMPLE}; const RADIX_BITS = ${RADIX_BITS}; const RADIX = ${RADIX};`;
  const fns = [selectRow, selectByInsertion, sortBuffers, selectBySort, nthSmallest, sampleRank, orderedKey, radixSelect];
  return [constants, ...fns.map((f) => f.toString())].join('\n');
}
