// Public API of src/onnx: re-exports only. (The ONNX protobuf writer, proto.ts, and the synchronous
// native session of the k-NN search, nativeOrt in runtime.ts, are internal: imported from their files.)
export { loadOnnxRuntime } from './runtime.js';
export type { OrtModule } from './runtime.js';
