/** Network distances of signature pairs. */
import type { SiameseNetwork } from 'contrastive/internal/models/index.js';
import { scoreSplit } from 'contrastive/internal/eval/held-out-pairs.js';
import type { IndexPairs } from 'contrastive/internal/data/types.js';
import type { SignatureDataset } from './dataset.js';

/**
 * Embeds the signatures of `data` once and returns the network's distance
 * of each pair (indices into `data`).
 * @group Distances
 */
export async function signatureDistances(network: SiameseNetwork, data: SignatureDataset, pairs: IndexPairs): Promise<Float32Array> {
  return scoreSplit(network, data, pairs, { distance: network.distanceName });
}
