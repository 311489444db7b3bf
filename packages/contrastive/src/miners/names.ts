/** Miner names, apart from the miners so that option parsing needs no TensorFlow.js. */

/** Names of the pair miners. @group Miners */
export const PAIR_MINER_NAMES = ['all', 'hard-negative', 'semi-hard', 'pair-margin'] as const;
/** Names of the triplet miners. @group Miners */
export const TRIPLET_MINER_NAMES = ['all', 'hard', 'semi-hard'] as const;

/** A pair miner's name. @group Miners */
export type PairMinerName = (typeof PAIR_MINER_NAMES)[number];
/** A triplet miner's name. @group Miners */
export type TripletMinerName = (typeof TRIPLET_MINER_NAMES)[number];

/** The triplet miner the trainer uses when none is named. @group Miners */
export const DEFAULT_TRIPLET_MINER: TripletMinerName = 'semi-hard';
