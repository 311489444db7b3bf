/**
 * The layer table of the packages: which package and which top-level entry of each
 * package's src/ may import which. test/layering.test.ts enforces it;
 * scripts/docs-architecture.ts writes docs/design/architecture.md from it.
 */

/** Package folders under packages/, lowest layer first. */
export const PACKAGE_LAYERS: readonly (readonly string[])[] = [['kernels'], ['contrastive'], ['node'], ['index', 'faces', 'signatures'], ['cli']];

/** Inside each package: its top-level entries, lowest layer first ('*': every entry not named). */
export const LAYERS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  kernels: [['errors.ts', 'optional-package.ts', 'platform', 'host.ts', 'wasm-binary.ts'], ['onnx'], ['*']],
  contrastive: [['errors.ts', 'version.ts', 'util'], ['distances'], ['losses', 'miners', 'samplers'], ['models'], ['data'], ['eval'], ['train', 'platform'], ['index.ts']],
  node: [['util'], ['engine'], ['data'], ['models'], ['export'], ['embed'], ['report'], ['train'], ['index.ts']],
  index: [['*'], ['index.ts']],
  faces: [['*'], ['index.ts']],
  signatures: [['*'], ['index.ts']],
  cli: [['jobs'], ['serve', 'cli'], ['index.ts']],
};
