/**
 * Builds the browser example (examples/browser/) into examples/browser/dist/ (git-ignored):
 * main.js bundled by esbuild, index.html, and the wasm backend's .wasm files in wasm/.
 * Any static file server can serve that folder.
 *
 *   npm run example:browser [-- --from dist] [-- --out DIR] [-- --serve [PORT]]
 *
 * --from dist bundles the packages' built dist/ (after `npm run build`), as an npm user's
 * build does; the default bundles the TypeScript sources. --serve serves the result on
 * 127.0.0.1 until interrupted.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, builtinImports, bundlePage, type BundleFrom, type BundledPage } from './browser-bundle.js';
import { serveFolder } from './page-runner.js';

/** The example's folder. */
export const EXAMPLE_DIR = path.join(REPO_ROOT, 'examples', 'browser');

/** Builds the example page into `outDir` (emptied first); `minify` as in {@link bundlePage}. */
export async function buildBrowserExample(outDir: string, from: BundleFrom = 'source', minify = true): Promise<BundledPage> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const bundled = await bundlePage({ entry: path.join(EXAMPLE_DIR, 'main.ts'), outDir, from, minify });
  copyFileSync(path.join(EXAMPLE_DIR, 'index.html'), path.join(outDir, 'index.html'));
  return bundled;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const from = (opt('from') ?? 'source') as BundleFrom;
  if (from !== 'source' && from !== 'dist') throw new Error(`--from must be source or dist, got ${from}`);
  const outDir = path.resolve(opt('out') ?? path.join(EXAMPLE_DIR, 'dist'));
  const bundled = await buildBrowserExample(outDir, from);
  const { disabled, nodeVariants } = builtinImports(bundled.metafile);
  const ours = disabled.filter((d) => d.ours);
  console.log(`built ${path.relative(process.cwd(), bundled.file)} (${(bundled.bytes / 1e6).toFixed(2)} MB, from ${from}); Node built-ins imported by our code: ${ours.length + nodeVariants.length === 0 ? 'none' : [...ours.map((d) => `${d.importer} -> ${d.path}`), ...nodeVariants].join(', ')}`);
  if (args.includes('--serve')) {
    const port = Number(opt('serve') ?? 8080);
    const server = await serveFolder(outDir, Number.isInteger(port) ? port : 8080);
    console.log(`serving ${outDir} at ${server.url}/ (Ctrl-C to stop)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: Error) => {
    console.error(`example:browser: ${err.message}`);
    process.exit(1);
  });
}
