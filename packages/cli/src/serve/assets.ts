/**
 * The files the page needs, all from this machine (no CDN): TF.js and its wasm
 * backend (scripts and .wasm binaries from node_modules), the page itself, the
 * browser bundle loader as one bundled ES module (loader-bundle.ts), and a small module that re-exports
 * the global `tf` so the loader's `import * as tf from '@tensorflow/tfjs'`
 * resolves through the page's import map.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { builtLoaderFile, bundleLoader } from './loader-bundle.js';

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
// Under tsx the sources are .ts and the loader is bundled from them; a build serves the bundle it wrote.
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

/** The URL path of the bundled `contrastive/browser` loader the page imports. */
const LOADER_PATH = 'lib/models/browser-bundle.js';

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
    if (name === LOADER_PATH) return loaderModule;
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

async function loaderModule(): Promise<Asset> {
  if (SOURCE_EXT === '.ts') return { body: await bundleLoader('source'), type: PAGE_TYPES['.js'] };
  const file = builtLoaderFile();
  try {
    return { body: await fs.readFile(file, 'utf8'), type: PAGE_TYPES['.js'] };
  } catch (err) {
    throw new ContrastiveError('NOT_FOUND', `serve: the page's loader ${file} is missing from this build of @contrastive/cli; rebuild with npm run build`, { cause: err });
  }
}
