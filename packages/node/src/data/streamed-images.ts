/**
 * Image files as an example store read on demand: an epoch over more images than
 * fit in memory decodes each batch's files when it is read (the trainer reads a
 * couple of batches ahead, so decoding overlaps training), and keeps the decoded
 * pixels in a least-recently-used cache bounded in bytes. Memory is the cache
 * plus the decodes in flight, whatever the number of files.
 */
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { byteTable } from 'contrastive/internal/data/examples.js';
import type { ExampleStore } from 'contrastive/internal/data/types.js';
import { checkImageOptions, decodeImagePixels, type ImageOptions } from './image.js';

/** Default byte bound of a streamed store's cache of decoded images: 256 MiB. @group Datasets */
export const DEFAULT_STREAM_CACHE_BYTES = 256 * 1024 * 1024;

/** Options of {@link streamedImageExamples}. @group Datasets */
export interface StreamedImageOptions {
  /** Bytes of decoded pixels kept for reuse (least recently used dropped first); default 256 MiB; 0 keeps none. */
  cacheBytes?: number;
  /** Files decoded at a time; default 8. */
  concurrency?: number;
}

/** What the stores made from one list of files share: the files, the cache and the decoding pool. */
class DecodedImageCache {
  readonly table = byteTable(255);
  private readonly cache = new Map<number, Uint8Array>();
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  /** Bytes of decoded pixels held in the cache. */
  bytes = 0;
  /** Most bytes the cache has held at once (for tests and benches). */
  peakBytes = 0;
  /** Files decoded so far (cache misses). */
  decodes = 0;

  constructor(
    readonly files: readonly string[],
    readonly image: Required<ImageOptions>,
    readonly cacheBytes: number,
    readonly concurrency: number,
  ) {}

  /** The pixels of file `f`: from the cache (marking them recently used), or decoded. */
  pixels(f: number): Uint8Array | Promise<Uint8Array> {
    const hit = this.cache.get(f);
    if (hit) {
      this.cache.delete(f);
      this.cache.set(f, hit);
      return hit;
    }
    let p = this.inflight.get(f);
    if (!p) {
      p = this.decode(f).finally(() => this.inflight.delete(f));
      this.inflight.set(f, p);
    }
    return p;
  }

  private async decode(f: number): Promise<Uint8Array> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      const px = await decodeImagePixels(this.files[f], this.image, 'streamed folder');
      this.decodes++;
      this.keep(f, px);
      return px;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private keep(f: number, px: Uint8Array): void {
    if (px.byteLength > this.cacheBytes) return;
    this.cache.set(f, px);
    this.bytes += px.byteLength;
    for (const [old, v] of this.cache) {
      if (this.bytes <= this.cacheBytes) break;
      this.cache.delete(old);
      this.bytes -= v.byteLength;
    }
    this.peakBytes = Math.max(this.peakBytes, this.bytes);
  }
}

function storeOf(shared: DecodedImageCache, fileOf: Int32Array): ExampleStore & { readonly cache: DecodedImageCache } {
  const { width, height, channels } = shared.image;
  const size = width * height * channels;
  const count = fileOf.length;
  const fn = 'streamed folder';
  const checkRows = (rows: ArrayLike<number>): void => {
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      check(Number.isInteger(r) && r >= 0 && r < count, fn, `row ${r} is not an example index in [0, ${count})`);
    }
  };
  const read = async (rows: ArrayLike<number>, out?: Float32Array, offset = 0): Promise<Float32Array> => {
    checkRows(rows);
    const buf = out ?? new Float32Array(rows.length * size);
    check(offset >= 0 && offset + rows.length * size <= buf.length, fn, `out holds ${buf.length} floats, too few for ${rows.length} rows of ${size} from offset ${offset}`);
    const { table } = shared;
    const put = (k: number, px: Uint8Array): void => {
      const dst = offset + k * size;
      for (let i = 0; i < size; i++) buf[dst + i] = table[px[i]];
    };
    // each row is written as soon as its file is decoded: the batch does not rely on the cache still holding it
    const waits: Promise<void>[] = [];
    for (let k = 0; k < rows.length; k++) {
      const px = shared.pixels(fileOf[rows[k]]);
      if (px instanceof Uint8Array) put(k, px);
      else waits.push(px.then((v) => put(k, v)));
    }
    await Promise.all(waits);
    return buf;
  };
  return {
    storage: 'stream',
    count,
    exampleSize: size,
    resident: false,
    get bytes() {
      return shared.bytes;
    },
    cache: shared,
    read,
    readSync: () => {
      throw new ContrastiveError('UNSUPPORTED', `${fn}: the examples are read from image files on demand; use read(rows) (asynchronous)`);
    },
    subset: (rows) => {
      checkRows(rows);
      return storeOf(shared, Int32Array.from(rows, (r) => fileOf[r]));
    },
  };
}

/**
 * An example store over image `files` (one example each, in that order), decoded
 * on demand exactly as {@link decodeImage} decodes them (so rows read the same
 * floats as a folder loaded into memory), with a byte-bounded cache of decoded
 * pixels shared by its subsets (a split's parts).
 *
 * @throws ContrastiveError for bad image options or cache size; an undecodable
 *   file fails the read that needs it, naming the file.
 * @group Datasets
 */
export function streamedImageExamples(files: readonly string[], image: ImageOptions, options: StreamedImageOptions = {}): ExampleStore {
  const fn = 'streamedImageExamples';
  const img = checkImageOptions(image, fn);
  const cacheBytes = options.cacheBytes ?? DEFAULT_STREAM_CACHE_BYTES;
  check(Number.isFinite(cacheBytes) && cacheBytes >= 0, fn, `cacheBytes must be a number of bytes >= 0, got ${cacheBytes}`);
  const concurrency = options.concurrency ?? 8;
  check(Number.isInteger(concurrency) && concurrency >= 1, fn, `concurrency must be an integer >= 1, got ${concurrency}`);
  const shared = new DecodedImageCache(files.slice(), img, cacheBytes, concurrency);
  return storeOf(shared, Int32Array.from(files, (_, k) => k));
}

/** Cache figures of a store made by {@link streamedImageExamples} (undefined for other stores): bytes held now, the most held at once, files decoded. @group Datasets */
export function streamCacheStats(store: ExampleStore): { bytes: number; peakBytes: number; decodes: number; cacheBytes: number } | undefined {
  const cache = (store as { cache?: unknown }).cache;
  if (!(cache instanceof DecodedImageCache)) return undefined;
  return { bytes: cache.bytes, peakBytes: cache.peakBytes, decodes: cache.decodes, cacheBytes: cache.cacheBytes };
}
