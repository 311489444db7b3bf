/**
 * contrastive: metric learning for TypeScript on TensorFlow.js.
 *
 * Label convention everywhere (Hadsell, Chopra, LeCun 2006): 0 = similar pair,
 * 1 = dissimilar pair. Other conventions exist only as named presets.
 *
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { ContrastiveError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { Rng } from './util/rng.js';
export { writeFileAtomic, writeDirAtomic, recoverDirAtomic } from './util/atomic.js';
export * from './engine/index.js';
export * from './onnx/index.js';
export * from './distances/index.js';
export * from './losses/index.js';
export * from './miners/index.js';
export * from './samplers/index.js';
export * from './models/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './eval/index.js';
export * from './export/index.js';
export * from './signatures/index.js';
export * from './report/index.js';
export * from './index/index.js';
export * from './faces/index.js';
export * from './jobs/index.js';
export * from './serve/index.js';
