// Public API of src/losses: re-exports only.
export { contrastiveLoss, contrastiveLossFromDistance, contrastiveLossFn } from './contrastive.js';
export type { ContrastiveLossOptions, ContrastiveLossFromDistanceOptions } from './contrastive.js';
export { contrastivePairLoss, type PairLossTerms } from './pair-loss.js';
export { CONVENTIONS } from './conventions.js';
export type { ContrastiveConvention } from './conventions.js';
export { tripletLoss } from './triplet.js';
export type { TripletLossOptions } from './triplet.js';
export { pairLossFromIndices, tripletLossFromIndices } from './from-indices.js';
export { REDUCTIONS, reduceLoss, readWeights } from './reduction.js';
export type { Reduction, PairWeights } from './reduction.js';
export type { LabelsInput } from './inputs.js';
