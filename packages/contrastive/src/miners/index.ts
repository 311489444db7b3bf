// Public API of src/miners: re-exports only.
export type { PairIndices, TripletIndices, PairMiner, TripletMiner } from './types.js';
export { minedPairsToIndexPairs } from './types.js';
export type { PairMinerOptions } from './pair-miners.js';
export { allPairsMiner, hardNegativePairMiner, semiHardPairMiner, pairMarginMiner } from './pair-miners.js';
export type { TripletMinerOptions } from './triplet-miners.js';
export { allTripletsMiner, batchHardTripletMiner, semiHardTripletMiner } from './triplet-miners.js';
export type { PairMinerName, TripletMinerName } from './registry.js';
export { PAIR_MINER_NAMES, TRIPLET_MINER_NAMES, createPairMiner, createTripletMiner } from './registry.js';
export { DEFAULT_TRIPLET_MINER } from './names.js';
