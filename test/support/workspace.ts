/**
 * Code written as a user writes it (`from 'contrastive'`, `from '@contrastive/node'`), made to
 * run or type-check from a folder outside this repository: each package name becomes the
 * absolute path of that package's source entry.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The source file a package specifier names ('contrastive', '@contrastive/node', 'contrastive/browser'). */
export function packageSource(spec: string): string | undefined {
  if (spec === 'contrastive/browser') return path.join(ROOT, 'packages/contrastive/src/models/browser-bundle.ts');
  const m = /^(contrastive|@contrastive\/([a-z-]+))$/.exec(spec);
  if (!m) return undefined;
  return path.join(ROOT, 'packages', m[2] ?? 'contrastive', 'src/index.ts');
}

/** `code` with every `from '<our package>'` and `import('<our package>')` pointing at its source. */
export function withWorkspaceSources(code: string): string {
  return code.replace(/(from\s+|import\(\s*)'((?:@contrastive\/[a-z-]+)|contrastive(?:\/browser)?)'/g, (all, pre: string, spec: string) => {
    const file = packageSource(spec);
    return file ? `${pre}${JSON.stringify(file)}` : all;
  });
}

/** TypeScript `paths` that resolve our packages to their sources. */
export function workspacePaths(): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const spec of ['contrastive', 'contrastive/browser', ...['kernels', 'node', 'index', 'faces', 'signatures', 'cli'].map((p) => `@contrastive/${p}`)]) {
    paths[spec] = [packageSource(spec)!];
  }
  return paths;
}
