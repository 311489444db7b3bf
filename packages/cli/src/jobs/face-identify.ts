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
import { EmbeddingIndex, bundleIdentity, type ModelIdentity, type SearchHit } from '@contrastive/index/internal/index.js';
import { chooseFace, describeFaces, loadFaceEngine, loadFaceModel, pretrainedFaceModel, FaceCache, type FaceBox, type FaceEngine, type FaceModel } from '@contrastive/faces/internal/index.js';
import { sha256 } from '@contrastive/faces/internal/cache.js';
import { readUserFile, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';

/** Options shared by {@link enrollFaces} and {@link identifyFace}. */
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

/** What {@link enrollFaces} returns. */
export interface FaceEnrollment {
  index: string;
  name: string;
  /** One entry per photo: its id in the index and the face used. */
  added: { file: string; id: string; box: FaceBox }[];
  /** Faces enrolled under this name now, and in the whole index. */
  enrolled: number;
  total: number;
}

/** The answer of {@link identifyFace}. */
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

async function embedFace(m: OpenModel, file: string, options: FaceIndexOptions): Promise<{ vector: Float32Array; faces: FaceBox[]; chosen: number }> {
  const found = await describeFaces(file, { engine: m.engine, maxSide: m.model.pipeline.maxSide, cache: options.cache });
  const face = chooseFace(found, options.face, '--face');
  const vector = await m.model.embed(face.descriptor);
  return { vector, faces: found.faces.map((f) => f.box), chosen: found.faces.indexOf(face) };
}

/**
 * Enrols the face of each photo under `name` in the index at `target` (a
 * SQLite file, created when missing, or a postgres:// URL). All photos are
 * read first and added in one transaction: a bad photo adds nothing.
 *
 * @throws ContrastiveError for an empty name, no photos, a photo without a
 *   face or with several and no `face` choice, a photo enrolled already, or an
 *   index made with another model.
 */
export async function enrollFaces(target: string, name: string, images: readonly string[], options: FaceIndexOptions = {}): Promise<FaceEnrollment> {
  const fn = 'enrollFaces';
  check(typeof name === 'string' && name.trim().length > 0, fn, 'the name must be a non-empty string');
  check(Array.isArray(images) && images.length > 0, fn, 'give at least one photo to enrol');
  const m = await openModel(options);
  try {
    const entries: { id: string; label: string; source: string; vector: Float32Array; box: FaceBox }[] = [];
    for (const file of images) {
      const e = await embedFace(m, file, options);
      // The id is the photo's content: the same photo cannot be enrolled twice.
      const id = `${name}/${sha256(await readUserFile(file, { maxBytes: USER_FILE_LIMITS.image, what: 'image', fn })).slice(0, 16)}`;
      if (entries.some((x) => x.id === id)) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${file} is the same photo as ${entries.find((x) => x.id === id)!.source}`);
      entries.push({ id, label: name, source: path.resolve(file), vector: e.vector, box: e.faces[e.chosen] });
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
        enrolled: stats.labels.find((l) => l.label === name)?.count ?? 0,
        total: stats.items,
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
 */
export async function identifyFace(target: string, image: string, options: FaceIndexOptions & { k?: number } = {}): Promise<FaceIdentification> {
  const fn = 'identifyFace';
  const k = options.k ?? 5;
  check(Number.isInteger(k) && k >= 1, fn, `k must be an integer >= 1, got ${k}`);
  const m = await openModel(options);
  try {
    const index = await EmbeddingIndex.open(target, { model: m.identity, dim: m.model.dim });
    try {
      const e = await embedFace(m, image, options);
      const hits: SearchHit[] = await index.search(e.vector, { k });
      if (hits.length === 0) throw new ContrastiveError('STATE', `${fn}: the index ${index.where} has no enrolled face; enrol people first ('contrastive face enroll --index ${target} --name NAME PHOTOS...')`);
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
      };
    } finally {
      await index.close();
    }
  } finally {
    m.model.dispose();
  }
}
