/**
 * Makes `loadDataset('signatures:DIR')` work: the data layer cannot import
 * this module, so the kind registers itself when src/signatures is imported.
 */
import { registerDatasetKind } from '@contrastive/node/internal/data/index.js';
import { SIGNATURES_DATASET_KIND } from './load.js';

registerDatasetKind('signatures', SIGNATURES_DATASET_KIND);
