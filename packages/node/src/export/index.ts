// Public API of src/export: re-exports only.
export { exportOnnx, exportOnnxFile, ONNX_OPSET, ONNX_SUPPORTED_LAYERS, ONNX_SUPPORTED_ACTIVATIONS, type OnnxExportOptions } from './onnx-exporter.js';
export { OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-runtime.js';
export { exportBundleOnnx, BUNDLE_ONNX_FILE } from './bundle-onnx.js';
export { npyBytes, parseNpy } from './npy.js';
export { writeEmbeddingsFile, readEmbeddingsFile, embeddingsFormatOf, embeddingsJsonLines, EMBEDDINGS_FORMATS, type EmbeddingsFormat, type EmbeddingSet, type EmbeddingRows } from './embeddings-file.js';
