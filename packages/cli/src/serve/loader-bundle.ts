/**
 * The page's `contrastive/browser` loader as one ES module, bundled by esbuild
 * with TF.js left to the page's import map: the loader's own imports (the
 * error type, the Platt formula it shares with the calibration) travel inside
 * it, so the page runs the library's code rather than copies of it. The build
 * writes the bundle into dist/ (scripts/copy-assets.mjs), so an installed CLI
 * serves that file and needs no esbuild; from the sources (tsx) it is bundled
 * when first asked for.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContrastiveError } from 'contrastive/internal/errors.js';

/** Where the build writes the bundled loader, relative to dist/serve/. */
export const BUILT_LOADER = path.join('page-lib', 'browser-bundle.js');

/** The bundled loader of a built CLI: beside this module's compiled file. */
export function builtLoaderFile(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), BUILT_LOADER);
}

/**
 * Bundles `contrastive/browser` from the workspace's TypeScript sources
 * ('source', the `contrastive-source` condition) or from the built dist/ of
 * the packages ('dist', what the build ships).
 *
 * @throws ContrastiveError UNSUPPORTED when esbuild (a development dependency) is not installed.
 */
export async function bundleLoader(from: 'source' | 'dist'): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new ContrastiveError('UNSUPPORTED', "serve: bundling the page's loader from the sources needs esbuild (a development dependency); build with npm run build", { cause: err });
  }
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('contrastive/package.json'));
  const entry = path.join(root, from === 'source' ? 'src/models/browser-bundle.ts' : 'dist/models/browser-bundle.js');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The page's import map sends '@tensorflow/tfjs' to the global tf of vendor/tf.min.js.
    external: ['@tensorflow/tfjs'],
    conditions: from === 'source' ? ['contrastive-source'] : [],
    legalComments: 'none',
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
