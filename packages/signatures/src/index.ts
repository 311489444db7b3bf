/**
 * @contrastive/signatures: signature verification with contrastive. Trajectory readers
 * (SVC2004, CSV, JSON), preprocessing, a synthetic generator, DTW; importing it registers
 * the `signatures:DIR` dataset kind with `loadDataset`.
 *
 * @packageDocumentation
 * @module @contrastive/signatures
 */
import './register-dataset.js';
export { packTrajectory, pointCount } from './trajectory.js';
export type { Trajectory, TrajectoryPoint } from './trajectory.js';
export { parseSvc2004, formatSvc2004 } from './svc2004.js';
export { parseTrajectoryCsv, parseTrajectoryJson } from './simple-formats.js';
export { signatureLabels } from './signature-set.js';
export type { SignatureSample, SignatureSet, SignatureLabels } from './signature-set.js';
export {
  SIGNATURE_FEATURES,
  DEFAULT_SIGNATURE_PREPROCESSING,
  signaturePreprocessing,
  signaturePreprocessingSchema,
  preprocessSignature,
  preprocessSignatures,
} from './preprocess.js';
export type { SignatureFeature, SignaturePreprocessing, SignatureSequence } from './preprocess.js';
export { syntheticSignatures } from './synthetic.js';
export type { SyntheticSignatureOptions } from './synthetic.js';
export { dtwDistance } from './dtw.js';
export type { DtwOptions } from './dtw.js';
export { PAIR_KINDS, PAIR_KIND, signaturePairs, evaluationPairs } from './pairs.js';
export type { PairKind, SignaturePairs, SignaturePairOptions } from './pairs.js';
export { forgeryMetrics, writerDependentScores } from './evaluation.js';
export type { ForgeryMetrics, ScoredSignaturePairs, WriterDependentOptions } from './evaluation.js';
export {
  isSignatureDataset,
  signatureClasses,
  onlineSignatureDataset,
  subsetSignatures,
  splitSignatureWriters,
  signaturePairDataset,
  drawSignaturePairs,
  signatureTrainingSplit,
  signatureRunExtras,
  RANDOM_PAIRS_PER_GENUINE,
} from './dataset.js';
export type { SignatureDataset, WriterSplitOptions, WriterSplit, SignatureTrainingSplitOptions } from './dataset.js';
export { signatureDistances } from './distances.js';
export { readSignatureFile, isSignatureFile, imageFormatOf, SIGNATURE_EXTENSIONS } from './read-file.js';
export { listSignatureFolder, GENUINE_FOLDER, FORGED_FOLDER } from './layout.js';
export type { SignatureFile, SignatureFolder } from './layout.js';
export { loadSignatures, loadSignatureSet, writeSignatureSet, SIGNATURES_DATASET_KIND } from './load.js';
export type { LoadSignaturesOptions, WriteSignatureSetOptions } from './load.js';
export { renderSignature } from './render.js';
export type { RenderOptions } from './render.js';
