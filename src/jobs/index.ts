// Public API of src/jobs: whole workflows (each loads data, trains or evaluates, writes files). Re-exports only.
export { runTraining, ENCODER_NAMES, RUN_DEFAULTS } from './run-training.js';
export { DEFAULT_SWEEP_EPOCHS } from './choices.js';
export type { RunTrainingOptions, RunTrainingResult, RunMetrics, EncoderName, JobTrainConfig } from './run-training.js';
export { evaluateBundle, defaultEvaluationReportFile, type BundleEvaluation } from './evaluate-bundle.js';
export { calibrateBundle, calibrationTargetName, type BundleCalibration } from './calibrate-bundle.js';
export { openBundle, bundleSplit, runSplitOf, type OpenBundle, type RunSplit, type BundleDataOptions, type BundleSplitData } from './bundle-split.js';
export { SPLIT_NAMES, type SplitName } from './choices.js';
export { marginSweep, type MarginSweepOptions } from './margin-sweep.js';
export { recommendMargin, defaultMargins, marginRuleOfThumb, marginSweepTable, type MarginSweepRow, type MarginSweepResult } from './margin-choice.js';
export { DEFAULT_MARGINS_NORMALIZED, DEFAULT_MARGINS_UNNORMALIZED } from './choices.js';
export { compareLosses, compareMarkdown, compareBudget, type CompareLossesOptions, type CompareRow, type CompareScores, type CompareResult } from './compare-losses.js';
export { verifyPair, readPairInput, describePairInput, type PairInput, type VerifyResult, type VerifyOptions } from './verify-pair.js';
export { embedInputs, embedToFile, type EmbedInput, type EmbedFileResult } from './embed.js';
export { exportBundle, type ExportBundleOptions, type ExportBundleResult } from './export-bundle.js';
export { jobSeed, splitFractions, runDirectory, runTimestamp, type SplitFractions } from './defaults.js';
export { signatureDemo, SIGNATURE_DEMO_DEFAULTS, type SignatureDemoOptions, type SignatureDemoResult } from './signature-demo.js';
export { verifySignature, bundleSignaturePreprocessing, type SignatureVerifyResult, type SignatureVerifyOptions } from './signature-verify.js';
