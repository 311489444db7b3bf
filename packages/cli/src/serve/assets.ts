/**
 * The files the page needs, all from this machine (no CDN): TF.js and its wasm
 * backend (scripts and .wasm binaries from node_modules), the page itself, the
 * browser bundle loader as an ES module, and a small module that re-exports
 * the global `tf` so the loader's `import * as tf from '@tensorflow/tfjs'`
 * resolves through the page's import map.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from 'contrastive/internal/errors.js';

/** One servable file: its bytes and content type. */
export interface Asset {
  body: Buffer | string;
  type: string;
}

const require = createRequire(import.meta.url);
const TFJS_DIST = path.dirname(require.resolve('@tensorflow/tfjs'));
const WASM_DIST = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = path.join(HERE, 'page');
// Under tsx the sources are .ts and are transpiled for the browser; a build serves its .js.
const SOURCE_EXT = path.extname(fileURLToPath(import.meta.url));

/** URL path -> file on disk, for the vendor files. */
const VENDOR: Record<string, [string, string]> = {
  'tf.min.js': [path.join(TFJS_DIST, 'tf.min.js'), 'text/javascript; charset=utf-8'],
  'tf-backend-wasm.min.js': [path.join(WASM_DIST, 'tf-backend-wasm.min.js'), 'text/javascript; charset=utf-8'],
  'tfjs-backend-wasm.wasm': [path.join(WASM_DIST, 'tfjs-backend-wasm.wasm'), 'application/wasm'],
  'tfjs-backend-wasm-simd.wasm': [path.join(WASM_DIST, 'tfjs-backend-wasm-simd.wasm'), 'application/wasm'],
  'tfjs-backend-wasm-threaded-simd.wasm': [path.join(WASM_DIST, 'tfjs-backend-wasm-threaded-simd.wasm'), 'application/wasm'],
};

/** The page's own files (in ./page). */
const PAGE_FILES = ['index.html', 'page.js', 'page.css'];

const PAGE_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Library modules the page imports (URL path under lib/ -> package and file under its src/ or dist/, without extension). */
const LIBRARY_MODULES: Record<string, [string, string]> = {
  'models/browser-bundle': ['contrastive', 'models/browser-bundle'],
  // The loader's '../errors.js': the error class itself, where the kernels define it.
  errors: ['@contrastive/kernels', 'errors'],
};

/** Serves the fixed set of files; every other name is "not found". */
export class PageAssets {
  private readonly cache = new Map<string, Promise<Asset>>();

  /** The asset at URL path `name` (e.g. 'vendor/tf.min.js', 'index.html', 'lib/errors.js'), or null. */
  get(name: string): Promise<Asset> | null {
    const known = this.cache.get(name);
    if (known) return known;
    const load = this.loader(name);
    if (!load) return null;
    const p = load();
    this.cache.set(name, p);
    p.catch(() => this.cache.delete(name));
    return p;
  }

  private loader(name: string): (() => Promise<Asset>) | null {
    if (name.startsWith('vendor/')) {
      const v = VENDOR[name.slice('vendor/'.length)];
      return v ? async () => ({ body: await fs.readFile(v[0]), type: v[1] }) : null;
    }
    if (name === 'lib/tfjs.js') return async () => ({ body: tfGlobalModule(), type: PAGE_TYPES['.js'] });
    if (name.startsWith('lib/') && name.endsWith('.js')) {
      const mod = name.slice('lib/'.length, -'.js'.length);
      return Object.hasOwn(LIBRARY_MODULES, mod) ? () => libraryModule(...LIBRARY_MODULES[mod]) : null;
    }
    if (!PAGE_FILES.includes(name)) return null;
    return async () => ({ body: await fs.readFile(path.join(PAGE_DIR, name)), type: PAGE_TYPES[path.extname(name)] });
  }
}

/** `export const { ...every TF.js export } = globalThis.tf`, the names read off the Node module. */
function tfGlobalModule(): string {
  const names = Object.keys(tf).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  return [
    '// The global tf of vendor/tf.min.js as an ES module (the page maps @tensorflow/tfjs here).',
    'const tf = globalThis.tf;',
    "if (!tf) throw new Error('load vendor/tf.min.js before importing @tensorflow/tfjs');",
    'export default tf;',
    `export const { ${names.join(', ')} } = tf;`,
    '',
  ].join('\n');
}

async function libraryModule(pkg: string, mod: string): Promise<Asset> {
  const root = path.dirname(require.resolve(`${pkg}/package.json`));
  const file = path.join(root, SOURCE_EXT === '.ts' ? 'src' : 'dist', `${mod}${SOURCE_EXT}`);
  const text = await fs.readFile(file, 'utf8');
  if (SOURCE_EXT === '.js') return { body: text, type: PAGE_TYPES['.js'] };
  // Running from the sources (tsx): typescript is a dev dependency, present wherever .ts files run.
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch (err) {
    throw new ContrastiveError('UNSUPPORTED', `serve: ${file} needs the typescript package to be served from the sources; build with npm run build`, { cause: err });
  }
  const out = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: file });
  return { body: out.outputText, type: PAGE_TYPES['.js'] };
}
