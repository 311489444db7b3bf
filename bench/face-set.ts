/**
 * Writes the augmented sample face set (22 identities from face-api's six
 * sample photos, seeded augmentations) to a folder in the faces:DIR layout,
 * for trying `contrastive train --dataset faces:DIR --skip-no-face` (the detector misses
 * some of the small padded crops) and `contrastive face ...`.
 *
 *   node --conditions=contrastive-source --import tsx bench/face-set.ts --out DIR [--per-identity 8] [--seed 1]
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { buildFaceSet } from '../test/support/face-set.js';
import { loadFaceEngine, FaceCache } from '../packages/faces/src/index.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, 'per-identity': { type: 'string', default: '8' }, seed: { type: 'string', default: '1' } } });
if (!values.out) throw new Error('--out DIR is required');
const set = await buildFaceSet({ dir: path.resolve(values.out), perIdentity: Number(values['per-identity']), seed: Number(values.seed), engine: await loadFaceEngine(), cache: new FaceCache() });
console.log(`${set.identities.length} identities x ${values['per-identity']} images in ${set.dir}`);
