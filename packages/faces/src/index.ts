/**
 * @contrastive/faces: face verification with contrastive. Detection and 128-d
 * descriptors (face-api on TF.js), face datasets (`faces:DIR`), face bundles and the
 * pretrained rule. Browser-safe modules (no Node import): engine.ts, pretrained.ts, compare.ts.
 *
 * @packageDocumentation
 * @module @contrastive/faces
 */
export { faceEngineFrom, faceEngineSettings, faceEngineId, faceDetectorLabel, FACE_DETECTORS, DEFAULT_FACE_ENGINE, DEFAULT_FACE_MAX_SIDE } from './engine.js';
export type { FaceEngine, FaceEngineSettings, FaceDetectorName, FaceBox, DescribedFace, RgbImage, FaceApiModule, FaceApiTask, FaceApiDetection } from './engine.js';
export { loadFaceEngine, faceApiModelDir, type LoadFaceEngineOptions } from './node-engine.js';
export { readFaceImage, decodeFaceImage, MIN_FACE_IMAGE_SIDE } from './image.js';
export { FaceCache, defaultFaceCacheDir, type CachedFaces } from './cache.js';
export { describeFaces, detectFaces, chooseFace, describeBox, facePipelineId, type FaceReadOptions, type FacesInImage, type EncodedFaceImage } from './describe.js';
export { calibrateFaceThreshold, balancedFacePairs, faceCalibrationWarnings, MIN_FACE_CALIBRATION, type FaceCalibration, type FaceCalibrationOptions } from './calibration.js';
export { PRETRAINED_FACE_CALIBRATION, pretrainedFaceModel, plattAtThreshold, DEFAULT_FACE_PIPELINE, type FaceModel, type FacePipelineSpec } from './pretrained.js';
export { compareFaces, type FaceComparison } from './compare.js';
export { loadFaceModel, facePipelineOf } from './model.js';
export { verifyFaces, type VerifyFacesOptions, type FaceVerification } from './verify.js';
export { loadFaceDataset, type FaceDataset, type FaceDatasetOptions } from './dataset.js';
import './register-dataset.js';
