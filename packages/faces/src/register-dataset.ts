/**
 * Makes `loadDataset('faces:DIR')` work: the data layer cannot import this
 * module, so the kind registers itself when src/faces is imported.
 */
import { registerDatasetKind, type LoadDatasetOptions } from '@contrastive/node/internal/data/index.js';
import { loadFaceDataset, type FaceDataset } from './dataset.js';

/** The `faces:DIR` kind: each photo's face described by the default face pipeline (cached), one class per person folder. */
export const FACES_DATASET_KIND = {
  form: 'faces:DIR',
  load: (dir: string, options: LoadDatasetOptions): Promise<FaceDataset> => loadFaceDataset(dir, { minPerClass: options.minPerClass, skipNoFace: options.skipNoFace }),
};

registerDatasetKind('faces', FACES_DATASET_KIND);
