/**
 * @contrastive/node: contrastive in Node. Reading user files safely (regular files
 * only, with a size cap), backend set-up (wasm binaries from
 * node_modules, our kernels registered), datasets on disk (MNIST, Fashion-MNIST, IDX,
 * image folders, pairs CSV), model bundles and checkpoints on disk, embedding with a
 * bundle (BundleEmbedder), ONNX export and runtime, embedding files, and the HTML report.
 *
 * @packageDocumentation
 * @module @contrastive/node
 */
export { writeFileAtomic, writeDirAtomic, recoverDirAtomic } from 'contrastive/internal/util/atomic.js';
export {
  readUserFile,
  readUserText,
  openUserFile,
  checkUserFile,
  formatBytes,
  USER_FILE_LIMITS,
  type UserFileOptions,
  type OpenUserFile,
} from './util/user-file.js';
export * from './engine/index.js';
export { loadOnnxRuntime, type OrtModule } from '@contrastive/kernels';
export { saveBundle, loadBundle, readManifest, updateManifest, readBundleCohort, type BundleInfo, type ManifestPatch } from './models/bundle.js';
export { loadBackbone, backboneFeatures, type LoadedBackbone, type BackboneFeatures, type BackboneFeaturesOptions } from './models/backbone.js';
export { fileCheckpointStore } from 'contrastive/internal/platform/node/checkpoint-files.js';
export * from './data/index.js';
export * from './export/index.js';
export * from './embed/index.js';
export * from './report/index.js';
