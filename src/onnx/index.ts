// Public API of src/onnx (the ONNX protobuf writer and loading onnxruntime-node): re-exports only.
export { encodeOnnxModel } from './proto.js';
export type { OnnxNode, OnnxTensor, OnnxValueInfo, OnnxAttributeValue } from './proto.js';
export { loadOnnxRuntime, nativeOrt, nativeOrtError } from './runtime.js';
export type { OrtModule, NativeOrt, NativeSession } from './runtime.js';
