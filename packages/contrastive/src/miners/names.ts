/** Miner names, apart from the miners so that option parsing needs no TensorFlow.js. */

/** Names of the pair miners. */
export const PAIR_MINER_NAMES = ['all', 'hard-negative', 'semi-hard', 'pair-margin'] as const;
/** Names of the triplet miners. */
export const TRIPLET_MINER_NAMES = ['all', 'hard', 'semi-hard'] as const;

/** A pair miner's name. */
export type PairMinerName = (typeof PAIR_MINER_NAMES)[number];
/** A triplet miner's name. */
export type TripletMinerName = (typeof TRIPLET_MINER_NAMES)[number];

/** The triplet miner the trainer uses when none is named. */
export const DEFAULT_TRIPLET_MINER: TripletMinerName = 'semi-hard';
