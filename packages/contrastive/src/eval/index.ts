// Public API of src/eval: re-exports only.
export { verificationMetrics, accuracyAtThreshold, operatingThreshold } from './verification.js';
export type { VerificationMetrics, RocCurve } from './verification.js';
export { kFoldVerification } from './kfold.js';
export type { KFoldOptions, KFoldResult } from './kfold.js';
export { calibrateThreshold, fitPlatt, probabilitySame } from './calibration.js';
export type { CalibrationTarget, CalibratedThreshold, PlattParameters, PlattOptions } from './calibration.js';
export { knn } from './knn.js';
export type { KnnOptions, KnnResult } from './knn.js';
export type { KnnEngine } from './neighbour-lists.js';
export { KnnGallery } from './knn-gallery.js';
export { retrievalMetrics } from './retrieval.js';
export type { RetrievalOptions, RetrievalMetrics } from './retrieval.js';
export type { NumericInput, EmbeddingsInput } from './inputs.js';
export { drawHeldOutPairs, scorePairs, scoreSplit, retrievalDistance } from './held-out-pairs.js';
export type { EmbedRows, PairHead } from './held-out-pairs.js';
export { distanceHistogram } from './distance-histogram.js';
export type { DistanceHistogram, DistanceHistogramOptions } from './distance-histogram.js';
