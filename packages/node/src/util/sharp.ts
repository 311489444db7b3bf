/**
 * sharp (image decoding and encoding), loaded on first use rather than when the package is
 * imported: its native part comes from a platform package (`@img/sharp-<platform>`, an optional
 * dependency of sharp), which is absent where optional dependencies were left out
 * (`--omit=optional`, a lockfile made on another platform). Then only what reads or writes
 * images fails, with an error that says how to get it, and everything else still works.
 */
import { createRequire } from 'node:module';
import type sharpModule from 'sharp';
import { loadPackage } from '@contrastive/kernels/internal/optional-package.js';

/** sharp's factory function, `sharp(input, options)`. */
export type SharpFactory = typeof sharpModule;

/** How to install sharp with its platform binaries (sharp's own advice for a missing one). */
export const SHARP_INSTALL = 'npm install --include=optional sharp';

const require = createRequire(import.meta.url);
let sharp: SharpFactory | undefined;

/**
 * sharp, loaded once.
 *
 * @param feature the function that needs it, named in the error.
 * @throws ContrastiveError UNSUPPORTED naming sharp and {@link SHARP_INSTALL} when it cannot be loaded.
 */
export function loadSharp(feature: string): SharpFactory {
  sharp ??= loadPackage(feature, 'sharp', () => require('sharp') as SharpFactory, SHARP_INSTALL);
  return sharp;
}
