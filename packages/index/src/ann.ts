/**
 * The approximate-search graph of a SQLite index: an HNSW graph (usearch, an
 * optional peer loaded on first use) kept in a file beside the index. It is
 * derived data: the SQLite file stays the truth, and the graph records which
 * state of it it was built from (the index's creation time, its revision and
 * item count). A graph of another state is stale: searching it is refused with
 * a message naming the command that rebuilds it, never answered silently.
 *
 * Files, for an index `gallery.sqlite`:
 * - `gallery.sqlite.ann`: a small JSON manifest (written atomically, the one
 *   commit point) naming the graph file and the state it belongs to;
 * - `gallery.sqlite.ann-TOKEN.usearch`: the graph and its vectors, written
 *   under a fresh name each time, so a reader that has it memory-mapped keeps
 *   a whole file while a writer replaces it.
 *
 * The graph's keys are the items' `seq` (their SQLite rowid), so a search
 * reads back only the k rows it returns: nothing is loaded whole, and a
 * search memory-maps the graph (`view`) rather than reading it.
 */
import { createRequire } from 'node:module';
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type * as Usearch from 'usearch';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import { loadPackage } from '@contrastive/kernels/internal/optional-package.js';
import type { DistanceName } from 'contrastive/internal/distances/names.js';
import type { IndexMeta } from './store.js';

/** What the manifest's `format` says. */
const ANN_FORMAT = 'contrastive-ann';
const ANN_FORMAT_VERSION = 1;

/** The command that installs the approximate-search engine. @group Index */
export const ANN_INSTALL = 'npm install usearch@2.26.2';

/**
 * Below this many items the 'auto' search mode searches exactly even when a
 * graph exists: an exact scan of 10^5 x 128 answers in about a millisecond
 * and is always right. @group Index
 */
export const DEFAULT_EXACT_BELOW = 100_000;

/** The default `efSearch` of an approximate search of the SQLite index (recall@10 >= 0.95 on the clustered bench data). @group Index */
export const DEFAULT_ANN_EF_SEARCH = 64;

/** How the HNSW graph of a SQLite index is built (the names of pgvector's options, which mean the same). @group Index */
export interface AnnBuildOptions {
  /** Neighbours per node (HNSW M; default 16): more, better recall and a larger, slower-to-build graph. */
  m?: number;
  /** Candidate list size while inserting (HNSW efConstruction; default 64). */
  efConstruction?: number;
  /** Threads that build (default 0: all cores). */
  threads?: number;
}

/** What the manifest records. */
export interface AnnManifest {
  format: typeof ANN_FORMAT;
  formatVersion: number;
  engine: 'usearch';
  engineVersion: string;
  /** The graph file, a sibling of the manifest. */
  graph: string;
  /** The index state the graph was built from. */
  indexCreatedAt: string;
  revision: number;
  items: number;
  dim: number;
  distance: DistanceName;
  connectivity: number;
  expansionAdd: number;
}

/** What a graph says about itself, for stats and messages. @group Index */
export interface AnnInfo {
  /** The manifest file. */
  file: string;
  items: number;
  /** HNSW M it was built with. */
  m: number;
  /** HNSW efConstruction it was built with. */
  efConstruction: number;
  /** Whether it was built from the index as it is now; a stale graph is not searched. */
  current: boolean;
  /** The index revision it was built at. */
  revision: number;
}

interface UsearchModule {
  Index: typeof Usearch.Index;
  MetricKind: typeof Usearch.MetricKind;
  version: string;
}

let usearchModule: UsearchModule | undefined;
const require = createRequire(import.meta.url);

/**
 * usearch, loaded once.
 *
 * @throws ContrastiveError UNSUPPORTED naming the install command when it is missing or fails to load.
 */
export function loadUsearch(fn: string): UsearchModule {
  if (usearchModule) return usearchModule;
  const mod = loadPackage(`${fn}: approximate search`, 'usearch', () => require('usearch') as typeof Usearch, ANN_INSTALL);
  let version = '?';
  try {
    version = (require('usearch/package.json') as { version: string }).version;
  } catch {
    // the version is for the manifest only
  }
  usearchModule = { Index: mod.Index, MetricKind: mod.MetricKind, version };
  return usearchModule;
}

/** The manifest of the graph of the index file `indexFile`. @group Index */
export function annManifestPath(indexFile: string): string {
  return `${indexFile}.ann`;
}

/** The manifest file's identity (inode, size, modification time), or null when there is none: a changed stamp means a changed graph. */
export function annManifestStamp(indexFile: string): string | null {
  const st = statSync(annManifestPath(indexFile), { throwIfNoEntry: false, bigint: true });
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}` : null;
}

function metricOf(m: UsearchModule, distance: DistanceName): Usearch.MetricKind {
  return distance === 'cosine' ? m.MetricKind.Cos : m.MetricKind.L2sq;
}

/** usearch's distance to the index's: L2sq is squared, so euclidean takes its root. */
function toIndexDistance(distance: DistanceName, d: number): number {
  return distance === 'euclidean' ? Math.sqrt(Math.max(0, d)) : distance === 'squaredEuclidean' ? Math.max(0, d) : d;
}

function readManifest(file: string, fn: string): AnnManifest | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ContrastiveError('INVALID_DATA', `${fn}: cannot read the approximate index '${file}' (${(err as Error).message})`, { cause: err });
  }
  let m: Partial<AnnManifest>;
  try {
    m = JSON.parse(text) as Partial<AnnManifest>;
  } catch {
    throw new ContrastiveError('INVALID_DATA', `${fn}: '${file}' is damaged (not JSON); rebuild it with: contrastive index ann --index ${file.slice(0, -4)} --force`);
  }
  const ok =
    m !== null &&
    m.format === ANN_FORMAT &&
    typeof m.formatVersion === 'number' &&
    typeof m.graph === 'string' &&
    path.basename(m.graph) === m.graph &&
    typeof m.indexCreatedAt === 'string' &&
    Number.isInteger(m.revision) &&
    Number.isInteger(m.items) &&
    Number.isInteger(m.dim);
  if (!ok) throw new ContrastiveError('INVALID_DATA', `${fn}: '${file}' is not an approximate index manifest (or is damaged); rebuild it with: contrastive index ann --index ${file.slice(0, -4)} --force`);
  if ((m.formatVersion as number) > ANN_FORMAT_VERSION) throw new ContrastiveError('UNSUPPORTED', `${fn}: '${file}' has approximate index format ${m.formatVersion}; this library reads up to ${ANN_FORMAT_VERSION}`);
  return m as AnnManifest;
}

/** A fresh temporary sibling name (removed on failure; the atomic-write helpers clean up those of dead processes). */
function tmpSibling(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);
}

/** Saves `index` under a new graph name beside `manifestFile`, flushed to disk; returns the name. */
async function saveGraph(index: Usearch.Index, manifestFile: string): Promise<string> {
  const name = `${path.basename(manifestFile)}-${Date.now().toString(36)}${randomBytes(4).toString('hex')}.usearch`;
  const target = path.join(path.dirname(manifestFile), name);
  const tmp = tmpSibling(target);
  try {
    index.save(tmp);
    const h = await fs.open(tmp, 'r+');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return name;
}

/** Graph files beside `manifestFile` other than `keep` (older graphs, a crashed writer's). */
async function removeOtherGraphs(manifestFile: string, keep: string | null): Promise<void> {
  const dir = path.dirname(manifestFile);
  const prefix = `${path.basename(manifestFile)}-`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith(prefix) && n.endsWith('.usearch') && n !== keep) await fs.rm(path.join(dir, n), { force: true });
}

/** The HNSW graph beside one SQLite index file. */
export class AnnGraph {
  /** Memory-mapped views of the current graph, one per efSearch (usearch fixes it per index object). */
  private views = new Map<number, Usearch.Index>();
  private constructor(
    readonly manifestFile: string,
    readonly manifest: AnnManifest,
  ) {}

  /** The graph of `indexFile`, or null when it has none. @throws ContrastiveError INVALID_DATA for a damaged manifest. */
  static open(indexFile: string, fn: string): AnnGraph | null {
    const file = annManifestPath(indexFile);
    const m = readManifest(file, fn);
    return m ? new AnnGraph(file, m) : null;
  }

  /** Whether the graph was built from the index in state (`meta`, `revision`). */
  isCurrent(meta: IndexMeta, revision: number): boolean {
    return this.manifest.indexCreatedAt === meta.createdAt && this.manifest.revision === revision && this.manifest.dim === meta.dim && this.manifest.distance === meta.distance;
  }

  /** The error for a search of a graph built from another state of the index. */
  staleError(indexFile: string, meta: IndexMeta, revision: number, fn: string): ContrastiveError {
    const why =
      this.manifest.indexCreatedAt !== meta.createdAt
        ? 'it was built for an earlier index at this path (the index was rebuilt since)'
        : `it was built at revision ${this.manifest.revision} and the index is at revision ${revision} (written since by a process that did not update it, or one that stopped midway)`;
    return new ContrastiveError('STATE', `${fn}: the approximate index ${this.manifestFile} is stale: ${why}; rebuild it with: contrastive index ann --index ${indexFile} --force (or search exactly: --mode exact)`);
  }

  info(meta: IndexMeta, revision: number): AnnInfo {
    const m = this.manifest;
    return { file: this.manifestFile, items: m.items, m: m.connectivity, efConstruction: m.expansionAdd, current: this.isCurrent(meta, revision), revision: m.revision };
  }

  private graphPath(): string {
    return path.join(path.dirname(this.manifestFile), this.manifest.graph);
  }

  private newIndex(u: UsearchModule, efSearch: number): Usearch.Index {
    const m = this.manifest;
    return new u.Index({ dimensions: m.dim, metric: metricOf(u, m.distance), quantization: 'f32' as Usearch.ScalarKind, connectivity: m.connectivity, expansion_add: m.expansionAdd, expansion_search: efSearch, multi: false });
  }

  /**
   * The k nearest keys (item seqs) of each of `n` queries: `keys[q * k + j]`,
   * 0 past `counts[q]`; distances in the index's distance.
   */
  search(queries: Float32Array, n: number, k: number, efSearch: number, fn: string): { keys: BigUint64Array; distances: Float64Array; counts: Uint32Array } {
    const u = loadUsearch(fn);
    let view = this.views.get(efSearch);
    if (!view) {
      view = this.newIndex(u, efSearch);
      try {
        view.view(this.graphPath());
      } catch (err) {
        throw new ContrastiveError('INVALID_DATA', `${fn}: cannot read the approximate index graph ${this.graphPath()} (${(err as Error).message}); rebuild it with: contrastive index ann --index ${this.manifestFile.slice(0, -4)} --force`, { cause: err });
      }
      if (view.dimensions() !== this.manifest.dim || view.size() !== this.manifest.items) {
        throw new ContrastiveError('INVALID_DATA', `${fn}: the approximate index graph ${this.graphPath()} holds ${view.size()} vectors of dim ${view.dimensions()}, but its manifest says ${this.manifest.items} of dim ${this.manifest.dim}; rebuild it with: contrastive index ann --index ${this.manifestFile.slice(0, -4)} --force`);
      }
      // a few efSearch values in use at once; beyond that the oldest mapping goes (mapping again is cheap)
      if (this.views.size >= 8) this.views.delete(this.views.keys().next().value!);
      this.views.set(efSearch, view);
    }
    // one query: one thread (spawning workers costs more than the search); a batch: every core
    const threads = n === 1 ? 1 : Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    const kk = Math.min(k, Math.max(1, this.manifest.items));
    const keys = new BigUint64Array(n * k);
    const distances = new Float64Array(n * k);
    const counts = new Uint32Array(n);
    if (this.manifest.items === 0 || n === 0) return { keys, distances, counts };
    // one query comes back as Matches (sliced to what was found), several as BatchMatches (with counts)
    const r = view.search(queries, kk, threads) as unknown as { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
    const dist = this.manifest.distance;
    for (let q = 0; q < n; q++) {
      const c = r.counts ? Number(r.counts[q]) : r.keys.length;
      counts[q] = Math.min(c, kk);
      for (let j = 0; j < counts[q]; j++) {
        keys[q * k + j] = r.keys[q * kk + j];
        distances[q * k + j] = toIndexDistance(dist, r.distances[q * kk + j]);
      }
    }
    return { keys, distances, counts };
  }

  /** Drops the memory maps (a later search maps the file again). */
  close(): void {
    this.views.clear();
  }

  /**
   * Checks build options and that usearch loads, before any work.
   *
   * @throws ContrastiveError INVALID_ARGUMENT for a bad option, UNSUPPORTED when usearch is missing (naming the install command).
   */
  static checkOptions(options: AnnBuildOptions, fn: string): { connectivity: number; expansionAdd: number; threads: number; u: UsearchModule } {
    check(options !== null && typeof options === 'object', fn, 'approximate index options must be an object { m?, efConstruction?, threads? }');
    const connectivity = options.m ?? 16;
    const expansionAdd = options.efConstruction ?? 64;
    const threads = options.threads ?? 0;
    check(Number.isInteger(connectivity) && connectivity >= 2 && connectivity <= 256, fn, `m must be an integer in [2, 256], got ${connectivity}`);
    check(Number.isInteger(expansionAdd) && expansionAdd >= 4 && expansionAdd <= 4096, fn, `efConstruction must be an integer in [4, 4096], got ${expansionAdd}`);
    check(Number.isInteger(threads) && threads >= 0, fn, `threads must be a non-negative integer (0: all cores), got ${threads}`);
    return { connectivity, expansionAdd, threads, u: loadUsearch(fn) };
  }

  /**
   * Builds a graph over `vectors` ([keys.length, dim]) keyed by `keys`, writes
   * it beside `indexFile` and commits the manifest for the index state
   * (`meta`, `revision`); older graph files are removed.
   */
  static async build(indexFile: string, meta: IndexMeta, revision: number, keys: BigUint64Array, vectors: Float32Array, options: AnnBuildOptions, fn: string): Promise<AnnGraph> {
    const { connectivity, expansionAdd, threads, u } = AnnGraph.checkOptions(options, fn);
    const file = annManifestPath(indexFile);
    const manifest: AnnManifest = {
      format: ANN_FORMAT,
      formatVersion: ANN_FORMAT_VERSION,
      engine: 'usearch',
      engineVersion: u.version,
      graph: '',
      indexCreatedAt: meta.createdAt,
      revision,
      items: keys.length,
      dim: meta.dim,
      distance: meta.distance,
      connectivity,
      expansionAdd,
    };
    const graph = new AnnGraph(file, manifest);
    const index = graph.newIndex(u, DEFAULT_ANN_EF_SEARCH);
    if (keys.length > 0) index.add(keys, vectors, threads);
    manifest.graph = await saveGraph(index, file);
    await writeFileAtomic(file, JSON.stringify(manifest, null, 2) + '\n');
    await removeOtherGraphs(file, manifest.graph);
    return graph;
  }

  /**
   * Applies one committed write of the index to the graph: adds `addKeys`
   * (with `addVectors`), removes `removeKeys`, and commits it as the graph of
   * `revision`. The graph is read whole (a memory-mapped one cannot change),
   * changed, and written under a new name.
   */
  async update(revision: number, change: { addKeys?: BigUint64Array; addVectors?: Float32Array; removeKeys?: BigUint64Array }, fn: string): Promise<AnnGraph> {
    const u = loadUsearch(fn);
    const index = this.newIndex(u, DEFAULT_ANN_EF_SEARCH);
    index.load(this.graphPath());
    if (change.removeKeys && change.removeKeys.length > 0) index.remove(change.removeKeys);
    if (change.addKeys && change.addKeys.length > 0) index.add(change.addKeys, change.addVectors!, 0);
    const manifest: AnnManifest = { ...this.manifest, engineVersion: u.version, revision, items: index.size() };
    manifest.graph = await saveGraph(index, this.manifestFile);
    await writeFileAtomic(this.manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    this.close();
    await removeOtherGraphs(this.manifestFile, manifest.graph);
    return new AnnGraph(this.manifestFile, manifest);
  }

  /** Removes the graph of `indexFile` (manifest first, so no reader finds a manifest without its graph). */
  static async remove(indexFile: string): Promise<boolean> {
    const file = annManifestPath(indexFile);
    const had = existsSync(file);
    await fs.rm(file, { force: true });
    await removeOtherGraphs(file, null);
    return had;
  }
}
