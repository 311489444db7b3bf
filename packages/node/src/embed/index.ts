// Public API of src/embed: re-exports only.
export { BundleEmbedder, type EmbedEngine, type BundleEmbedderOptions, type EmbedFilesOptions } from './bundle-embedder.js';
export { bundleIdentity, type BundleIdentity } from './bundle-identity.js';
