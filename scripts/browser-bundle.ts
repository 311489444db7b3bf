/**
 * Bundling a page that uses `contrastive` for the browser with esbuild, as a user's build
 * would: `platform: 'browser'`, ESM, the wasm backend's .wasm files copied beside the bundle
 * (a bundled wasm backend needs `setWasmPaths()` pointing at them). From the TypeScript
 * sources of this repository (the `contrastive-source` export condition) or from the packages' built
 * dist/ (what npm users get). Also: which Node built-ins a bundle pulled in, read from
 * esbuild's metafile rather than from the bundle's text (whose string literals may mention
 * `node:` modules without importing them).
 */
import { build, type Metafile } from 'esbuild';
import { builtinModules, createRequire } from 'node:module';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the packages are read from: their TypeScript sources, or their built dist/. */
export type BundleFrom = 'source' | 'dist';

/** Options of {@link bundlePage}. */
export interface BundlePageOptions {
  /** The page's entry module (TypeScript), relative to the repository root or absolute. */
  entry: string;
  /** Folder of the output: `<name of entry>.js` (+ .map) and `wasm/`. */
  outDir: string;
  from: BundleFrom;
  /** Minify and write a source map (default true; a test that reads only the metafile builds faster without). */
  minify?: boolean;
}

/** What {@link bundlePage} wrote. */
export interface BundledPage {
  /** The bundle's path. */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  metafile: Metafile;
}

/** The folder of @tensorflow/tfjs-backend-wasm's .wasm binaries. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** Bundles `entry` for the browser into `outDir`, with the wasm backend's binaries in `outDir/wasm/`. */
export async function bundlePage({ entry, outDir, from, minify = true }: BundlePageOptions): Promise<BundledPage> {
  const entryFile = path.resolve(REPO_ROOT, entry);
  const file = path.join(outDir, `${path.basename(entryFile).replace(/\.[cm]?ts$/, '')}.js`);
  const result = await build({
    entryPoints: [entryFile],
    outfile: file,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    // 'source' resolves the workspace packages to src/*.ts; without it, to dist/ as for a user.
    conditions: from === 'source' ? ['contrastive-source'] : [],
    minify,
    sourcemap: minify,
    metafile: true,
    logLevel: 'error',
    absWorkingDir: REPO_ROOT,
  });
  const wasmOut = path.join(outDir, 'wasm');
  mkdirSync(wasmOut, { recursive: true });
  for (const name of readdirSync(wasmBinaryDir()).filter((f) => f.endsWith('.wasm'))) copyFileSync(path.join(wasmBinaryDir(), name), path.join(wasmOut, name));
  const output = Object.entries(result.metafile.outputs).find(([f]) => f.endsWith('.js'));
  return { file, bytes: output ? output[1].bytes : 0, metafile: result.metafile };
}

/** One import of a Node built-in found among a bundle's inputs. */
export interface BuiltinImport {
  /** The importing file, relative to the repository root. */
  importer: string;
  /** The module named, e.g. 'node:worker_threads', or '(disabled):fs'. */
  path: string;
  /** Whether the importer is code of this repository (packages/, examples/, bench/) rather than a dependency in node_modules. */
  ours: boolean;
}

/** The Node built-ins a bundle's inputs name, by what became of them; see {@link builtinImports}. */
export interface BuiltinReport {
  /**
   * Replaced by an empty module because the importing package's `browser` field says so
   * (TF.js's Node code paths): in the bundle, but they import nothing.
   */
  disabled: BuiltinImport[];
  /** Named by an import TypeScript elides (only types used): not in the bundle at all. */
  elided: BuiltinImport[];
  /** Inputs that are the Node variant (`platform/node/`) of a `#platform/*` module of ours. */
  nodeVariants: string[];
}

const BUILTINS = new Set(builtinModules);

function isBuiltin(spec: string): boolean {
  const bare = spec.replace(/^\(disabled\):/, '');
  return bare.startsWith('node:') || BUILTINS.has(bare) || BUILTINS.has(bare.split('/')[0]);
}

/**
 * The Node built-ins among a bundle's inputs, from esbuild's metafile (a built-in named
 * inside a string, such as a worker's eval'd source, is no import and is not counted).
 * With `platform: 'browser'` an import of a built-in that reaches the output fails the build
 * ("Could not resolve"), so what the metafile can still hold is either `disabled` (a
 * package's `browser` field maps the module to `false`) or `elided` (esbuild records an
 * import TypeScript drops, as external). A page that imports no Node built-in has no
 * `disabled` entry of ours and no `nodeVariants`.
 */
export function builtinImports(metafile: Metafile): BuiltinReport {
  const report: BuiltinReport = { disabled: [], elided: [], nodeVariants: [] };
  for (const [importer, input] of Object.entries(metafile.inputs)) {
    for (const record of input.imports) {
      if (!isBuiltin(record.path)) continue;
      const found = { importer, path: record.path, ours: !importer.includes('node_modules/') };
      (record.external ? report.elided : report.disabled).push(found);
    }
  }
  report.nodeVariants = Object.keys(metafile.inputs).filter((f) => /(^|\/)packages\/[^/]+\/(src|dist)\/platform\/node\//.test(f));
  return report;
}
