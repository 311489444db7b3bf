/**
 * Miners by name, for the trainer and the CLI (`--miner NAME`). Options are
 * checked when the miner is created, so a bad margin fails before training starts.
 */
import { check } from '../errors.js';
import type { PairMiner, TripletMiner } from './types.js';
import {
  allPairsMiner,
  hardNegativePairMiner,
  pairMarginMiner,
  semiHardPairMiner,
  type PairMinerOptions,
} from './pair-miners.js';
import {
  allTripletsMiner,
  batchHardTripletMiner,
  semiHardTripletMiner,
  type TripletMinerOptions,
} from './triplet-miners.js';
import { checkFinite } from './batch-check.js';
import { checkMargin } from '../losses/margin.js';

import { PAIR_MINER_NAMES, TRIPLET_MINER_NAMES, type PairMinerName, type TripletMinerName } from './names.js';

export { PAIR_MINER_NAMES, TRIPLET_MINER_NAMES, type PairMinerName, type TripletMinerName };

const quoted = (names: readonly string[]): string => names.map((s) => `'${s}'`).join(', ');

/**
 * The pair miner called `name` ('all' | 'hard-negative' | 'semi-hard' | 'pair-margin')
 * with its options bound. Throws a ContrastiveError listing the names for an unknown one.
 * @example
 * ```ts
 * import { createPairMiner, pairwiseDistanceMatrix } from 'contrastive';
 *
 * const miner = createPairMiner('semi-hard', { margin: 0.5 });
 * const distances = pairwiseDistanceMatrix(new Float32Array([0, 0.1, 0.4, 1]), null, 'euclidean', 1);
 * const mined = miner(distances, [0, 0, 1, 1]); // { a1, p, a2, n }: positive pairs and semi-hard negatives
 * console.log(mined.a1.length, mined.a2.length);
 * ```
 * @group Miners
 */
export function createPairMiner(name: string, options: PairMinerOptions = {}): PairMiner {
  const fn = 'createPairMiner';
  check(
    (PAIR_MINER_NAMES as readonly string[]).includes(name),
    fn,
    `unknown pair miner '${name}', expected one of ${quoted(PAIR_MINER_NAMES)}`,
  );
  if (options.margin !== undefined) checkMargin(options.margin, fn);
  if (options.posMargin !== undefined) checkFinite(fn, 'posMargin', options.posMargin);
  if (options.negMargin !== undefined) checkFinite(fn, 'negMargin', options.negMargin);
  const opts = { ...options };
  switch (name as PairMinerName) {
    case 'all':
      return allPairsMiner;
    case 'hard-negative':
      return hardNegativePairMiner;
    case 'semi-hard':
      return (d, l) => semiHardPairMiner(d, l, opts);
    case 'pair-margin':
      return (d, l) => pairMarginMiner(d, l, opts);
  }
}

/**
 * The triplet miner called `name` ('all' | 'hard' | 'semi-hard') with its options
 * bound. Throws a ContrastiveError listing the names for an unknown one.
 * @group Miners
 */
export function createTripletMiner(name: string, options: TripletMinerOptions = {}): TripletMiner {
  const fn = 'createTripletMiner';
  check(
    (TRIPLET_MINER_NAMES as readonly string[]).includes(name),
    fn,
    `unknown triplet miner '${name}', expected one of ${quoted(TRIPLET_MINER_NAMES)}`,
  );
  if (options.margin !== undefined) checkMargin(options.margin, fn);
  const opts = { ...options };
  switch (name as TripletMinerName) {
    case 'all':
      return allTripletsMiner;
    case 'hard':
      return batchHardTripletMiner;
    case 'semi-hard':
      return (d, l) => semiHardTripletMiner(d, l, opts);
  }
}
