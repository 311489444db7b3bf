/**
 * A module of a checkout of this repository by its place before the packages (e.g.
 * 'engine/backend.ts'), in either layout: packages/ (now) or src/ (a checkout from before
 * the split), so a bench can load two checkouts side by side (`--src <checkout root>`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where each module the benches load lives in the packages layout. */
const PACKAGED: Record<string, string> = {
  'engine/backend.ts': 'packages/node/src/engine/backend.ts',
  'engine/kernels/index.ts': 'packages/kernels/src/index.ts',
  'engine/kernels/split.ts': 'packages/kernels/src/split.ts',
  'engine/kernels/ort-matmul.ts': 'packages/kernels/src/ort-matmul.ts',
  'models/index.ts': 'packages/contrastive/src/models/index.ts',
  'losses/index.ts': 'packages/contrastive/src/losses/index.ts',
};

/** The root of this checkout. */
export const THIS_CHECKOUT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** Imports module `rel` (its pre-package place) of the checkout at `root`. */
export async function checkoutModule<T>(root: string, rel: string): Promise<T> {
  const packaged = PACKAGED[rel];
  const file = existsSync(path.join(root, 'packages')) && packaged ? path.join(root, packaged) : path.join(root, 'src', rel);
  return (await import(pathToFileURL(file).href)) as T;
}
