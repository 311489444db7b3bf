/**
 * contrastive: metric learning for TypeScript on TensorFlow.js, the isomorphic core
 * (Node and the browser): distances, losses, miners, samplers, models and the bundle
 * format, the trainer, verification and retrieval metrics, calibration.
 *
 * Label convention everywhere (Hadsell, Chopra, LeCun 2006): 0 = similar pair,
 * 1 = dissimilar pair. Other conventions exist only as named presets.
 *
 * Disk datasets, bundles and checkpoints on disk, ONNX and the report are in
 * `@contrastive/node`; the index, faces, signatures and the CLI in their own packages.
 *
 * @packageDocumentation
 * @module contrastive
 */
export { VERSION } from './version.js';
export { ContrastiveError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { Rng } from './util/rng.js';
// Switching TF.js to a backend (our kernels on 'wasm') in a page: the kernels package's, re-exported so a page needs only this one.
export { useBackend } from '@contrastive/kernels';
export { progressReporter, type Progress, type ProgressListener } from './util/progress.js';
export * from './distances/index.js';
export * from './losses/index.js';
export * from './miners/index.js';
export * from './samplers/index.js';
export * from './models/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './eval/index.js';
