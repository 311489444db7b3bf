/**
 * Enrolment and open-set identification of faces on the embedding index
 * (`contrastive face enroll` / `face identify`): enrolled faces are stored as
 * embeddings (the pretrained descriptor, or a face bundle's head) labelled
 * with the person's name; a query face is the nearest enrolled person when
 * the distance is within the model's threshold, and "unknown" otherwise.
 */
import path from 'node:path';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { probabilitySame } from 'contrastive/internal/eval/index.js';
import { EmbeddingIndex, type ModelIdentity, type SearchHit } from '@contrastive/index/internal/index.js';
import { bundleIdentity } from '@contrastive/node/internal/embed/bundle-identity.js';
import { chooseFace, describeFaces, faceDetectorLabel, loadFaceEngine, loadFaceModel, pretrainedFaceModel, FaceCache, type FaceBox, type FaceEngine, type FaceModel } from '@contrastive/faces/internal/index.js';
import { sha256 } from '@contrastive/faces/internal/cache.js';
import { progressReporter, type ProgressListener } from 'contrastive/internal/util/progress.js';
import { readUserFile, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';

/** Options shared by {@link enrollFaces} and {@link identifyFace}. @group Faces */
export interface FaceIndexOptions {
  /** A face bundle directory; default the pretrained descriptor with its calibrated threshold. */
  model?: string;
  /** Overrides the model's threshold (identify). */
  threshold?: number;
  /** Which face of each photo when it holds several (left to right, from 0). */
  face?: number;
  /** Descriptor cache: a FaceCache, or false for none; default the user cache folder. */
  cache?: FaceCache | false;
  /** Engine to use; default one built with the model's pipeline settings. */
  engine?: FaceEngine;
}

/** Options of {@link enrollFaces}. */
export interface FaceEnrollOptions extends FaceIndexOptions {
  /**
   * Leave out photos in which the detector finds no face (listed in the
   * result's `skipped`) and enrol the others; default false: such photos are
   * an error naming them all, and nothing is enrolled.
   */
  skipNoFace?: boolean;
  /** Told how many photos are described (task 'describing photos'; about a second a photo the first time). */
  onProgress?: ProgressListener;
}

/** What {@link enrollFaces} returns. @group Faces */
export interface FaceEnrollment {
  index: string;
  name: string;
  /** One entry per photo: its id in the index and the face used. */
  added: { file: string; id: string; box: FaceBox }[];
  /** Photos left out (with skipNoFace) and why. */
  skipped: { file: string; reason: string }[];
  /** Faces enrolled under this name now, and in the whole index. */
  enrolled: number;
  total: number;
  /** The detector that found the faces, in words. */
  detector: string;
  /** Why the model's threshold may not suit these people (see FaceModel.warnings). */
  warnings: string[];
}

/** The answer of {@link identifyFace}. @group Faces */
export interface FaceIdentification {
  /** The nearest enrolled person when within the threshold, else null (unknown). */
  name: string | null;
  /** Distance to the nearest enrolled face. */
  distance: number;
  threshold: number;
  /** p(same) of the nearest enrolled face, from the model's Platt fit, or null. */
  probability: number | null;
  /** The nearest enrolled faces, nearest first. */
  neighbours: { name: string | null; distance: number; source: string | null }[];
  /** Every face found in the photo, and the one used. */
  faces: FaceBox[];
  chosen: number;
  /** The detector that found the faces, in words (the distances depend on it). */
  detector: string;
  /** Why the threshold may not suit these people (see FaceModel.warnings). */
  warnings: string[];
}

interface OpenModel {
  model: FaceModel;
  identity: ModelIdentity;
  engine: FaceEngine;
}

async function openModel(options: FaceIndexOptions): Promise<OpenModel> {
  const model = options.model ? await loadFaceModel(options.model, { threshold: options.threshold }) : pretrainedFaceModel({ threshold: options.threshold });
  try {
    const { detector, minConfidence, tinyInputSize } = model.pipeline;
    const engine = options.engine ?? (await loadFaceEngine({ detector, minConfidence, tinyInputSize }));
    // Embeddings of different models never share an index; the descriptor network's version decides the pretrained space.
    const identity: ModelIdentity = options.model
      ? await bundleIdentity(options.model)
      : { hash: sha256(`${engine.id.split('/')[0]}/recognition128/pretrained`), description: `pretrained face descriptor (${engine.id.split('/')[0]})` };
    return { model, identity, engine };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** The detector that finds the faces (the engine's, with the model's photo size limit) in words. */
function detectorOf(m: OpenModel): string {
  return faceDetectorLabel({ ...m.engine.settings, maxSide: m.model.pipeline.maxSide });
}

async function embedFace(m: OpenModel, file: string, options: FaceIndexOptions, onNoFace?: () => void): Promise<{ vector: Float32Array; faces: FaceBox[]; chosen: number } | null> {
  const found = await describeFaces(file, { engine: m.engine, maxSide: m.model.pipeline.maxSide, cache: options.cache });
  if (found.faces.length === 0 && onNoFace) {
    onNoFace();
    return null;
  }
  const face = chooseFace(found, options.face, 'face');
  const vector = await m.model.embed(face.descriptor);
  return { vector, faces: found.faces.map((f) => f.box), chosen: found.faces.indexOf(face) };
}

/**
 * Enrols the face of each photo under `name` in the index at `target` (a
 * SQLite file, created when missing, or a postgres:// URL). All photos are
 * read first and added in one transaction: a bad photo adds nothing.
 *
 * Photos without a face are an error naming them all (every photo is
 * described first), unless `skipNoFace` leaves them out.
 *
 * @throws ContrastiveError for an empty name, no photos, photos without a face
 *   (without `skipNoFace`; with it, when no photo holds one), a photo with
 *   several faces and no `face` choice, a photo enrolled already, or an index
 *   made with another model.
 * @group Faces
 */
export async function enrollFaces(target: string, name: string, images: readonly string[], options: FaceEnrollOptions = {}): Promise<FaceEnrollment> {
  const fn = 'enrollFaces';
  check(typeof name === 'string' && name.trim().length > 0, fn, 'the name must be a non-empty string');
  check(Array.isArray(images) && images.length > 0, fn, 'give at least one photo to enrol');
  const m = await openModel(options);
  try {
    const entries: { id: string; label: string; source: string; vector: Float32Array; box: FaceBox }[] = [];
    const noFace: string[] = [];
    const report = progressReporter(options.onProgress, 'describing photos', images.length);
    for (const [k, file] of images.entries()) {
      const e = await embedFace(m, file, options, () => noFace.push(file));
      report(k + 1);
      if (!e) continue;
      // The id is the photo's content: the same photo cannot be enrolled twice.
      const id = `${name}/${sha256(await readUserFile(file, { maxBytes: USER_FILE_LIMITS.image, what: 'image', fn })).slice(0, 16)}`;
      if (entries.some((x) => x.id === id)) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${file} is the same photo as ${entries.find((x) => x.id === id)!.source}`);
      entries.push({ id, label: name, source: path.resolve(file), vector: e.vector, box: e.faces[e.chosen] });
    }
    if (noFace.length > 0 && (!options.skipNoFace || entries.length === 0)) {
      const shown = noFace.slice(0, 5).join(', ') + (noFace.length > 5 ? `, ... (${noFace.length - 5} more)` : '');
      const hint = options.skipNoFace ? 'nothing to enrol' : 'nothing was enrolled; leave them out with --skip-no-face (option skipNoFace), or remove them';
      throw new ContrastiveError('INVALID_DATA', `${fn}: ${noFace.length} of ${images.length} photo${images.length === 1 ? '' : 's'} hold${noFace.length === 1 ? 's' : ''} no face the ${detectorOf(m)} finds: ${shown}; ${hint}`);
    }
    let index: EmbeddingIndex;
    try {
      index = await EmbeddingIndex.open(target, { model: m.identity, dim: m.model.dim });
    } catch (err) {
      if (!(err instanceof ContrastiveError && err.code === 'NOT_FOUND')) throw err;
      index = await EmbeddingIndex.create(target, { dim: m.model.dim, distance: 'euclidean', model: m.identity });
    }
    try {
      for (const e of entries) {
        const old = await index.get(e.id);
        if (old) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${e.source} is enrolled already (as '${old.item.label}', id ${e.id})`);
      }
      await index.add(entries.map(({ id, label, source, vector }) => ({ id, label, source, vector })));
      const stats = await index.stats();
      return {
        index: index.where,
        name,
        added: entries.map((e) => ({ file: e.source, id: e.id, box: e.box })),
        skipped: noFace.map((file) => ({ file, reason: 'no face found' })),
        enrolled: stats.labels.find((l) => l.label === name)?.count ?? 0,
        total: stats.items,
        detector: detectorOf(m),
        warnings: [...(m.model.warnings ?? [])],
      };
    } finally {
      await index.close();
    }
  } finally {
    m.model.dispose();
  }
}

/**
 * Who is the face in `image`? Searches the index for the nearest enrolled
 * faces; the answer is the nearest one's name when its distance is within
 * the model's threshold, else null ("unknown": open-set identification).
 *
 * @throws ContrastiveError for a missing index, an index of another model or
 *   with nothing enrolled, and a photo without a usable face.
 * @group Faces
 */
export async function identifyFace(target: string, image: string, options: FaceIndexOptions & { k?: number } = {}): Promise<FaceIdentification> {
  const fn = 'identifyFace';
  const k = options.k ?? 5;
  check(Number.isInteger(k) && k >= 1, fn, `k must be an integer >= 1, got ${k}`);
  const m = await openModel(options);
  try {
    const index = await EmbeddingIndex.open(target, { model: m.identity, dim: m.model.dim });
    try {
      const e = (await embedFace(m, image, options))!;
      const hits: SearchHit[] = await index.search(e.vector, { k });
      if (hits.length === 0) throw new ContrastiveError('STATE', `${fn}: the index ${index.where} has no enrolled face; enrol people first (enrollFaces, or 'contrastive face enroll')`);
      const nearest = hits[0];
      const threshold = m.model.threshold;
      return {
        name: nearest.distance <= threshold ? nearest.label : null,
        distance: nearest.distance,
        threshold,
        probability: m.model.platt ? probabilitySame(nearest.distance, m.model.platt) : null,
        neighbours: hits.map((h) => ({ name: h.label, distance: h.distance, source: h.source })),
        faces: e.faces,
        chosen: e.chosen,
        detector: detectorOf(m),
        warnings: [...(m.model.warnings ?? [])],
      };
    } finally {
      await index.close();
    }
  } finally {
    m.model.dispose();
  }
}
