// Public API of src/eval: re-exports only.
export { verificationMetrics, accuracyAtThreshold, operatingThreshold } from './verification.js';
export type { VerificationMetrics, RocCurve } from './verification.js';
export { kFoldVerification } from './kfold.js';
export type { KFoldOptions, KFoldResult } from './kfold.js';
export { calibrateThreshold, fitPlatt, probabilitySame } from './calibration.js';
export type { CalibrationTarget, CalibratedThreshold, PlattParameters } from './calibration.js';
export { knn } from './knn.js';
export type { KnnOptions, KnnResult, KnnEngine } from './knn.js';
export { retrievalMetrics } from './retrieval.js';
export type { RetrievalOptions, RetrievalMetrics } from './retrieval.js';
export type { NumericInput, EmbeddingsInput } from './inputs.js';
export { evaluateBundle, calibrateBundle, openBundle, bundleSplit, runSplitOf, calibrationTargetName, SPLIT_NAMES, type SplitName, type OpenBundle, type RunSplit, type BundleDataOptions, type BundleEvaluation, type BundleCalibration } from './evaluate-bundle.js';
export { marginSweep, recommendMargin, defaultMargins, marginRuleOfThumb, marginSweepTable, DEFAULT_MARGINS_NORMALIZED, DEFAULT_MARGINS_UNNORMALIZED, type MarginSweepOptions, type MarginSweepRow, type MarginSweepResult } from './margin-sweep.js';
export { compareLosses, compareMarkdown, type CompareLossesOptions, type CompareRow, type CompareScores, type CompareResult } from './compare.js';
export { verifyPair, readPairInput, describePairInput, type PairInput, type VerifyResult, type VerifyOptions } from './verify-pair.js';
