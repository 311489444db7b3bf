// Public API of src/faces: re-exports only.
export { faceEngineFrom, faceEngineSettings, faceEngineId, FACE_DETECTORS, DEFAULT_FACE_ENGINE } from './engine.js';
export type { FaceEngine, FaceEngineSettings, FaceDetectorName, FaceBox, DescribedFace, RgbImage, FaceApiModule } from './engine.js';
export { loadFaceEngine, faceApiModelDir, type LoadFaceEngineOptions } from './node-engine.js';
export { readFaceImage, decodeFaceImage, DEFAULT_FACE_MAX_SIDE, MIN_FACE_IMAGE_SIDE } from './image.js';
export { FaceCache, defaultFaceCacheDir, type CachedFaces } from './cache.js';
export { describeFaces, detectFaces, chooseFace, describeBox, facePipelineId, type FaceReadOptions, type FacesInImage } from './describe.js';
export { calibrateFaceThreshold, balancedFacePairs, type FaceCalibration, type FaceCalibrationOptions } from './calibration.js';
export { pretrainedFaceModel, loadFaceModel, facePipelineOf, DEFAULT_FACE_PIPELINE, type FaceModel, type FacePipelineSpec } from './model.js';
export { PRETRAINED_FACE_CALIBRATION } from './pretrained.js';
export { verifyFaces, type VerifyFacesOptions, type FaceVerification } from './verify.js';
export { loadFaceDataset, type FaceDataset, type FaceDatasetOptions } from './dataset.js';
