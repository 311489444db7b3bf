/**
 * `contrastive serve` over a face model (a face bundle, or the pretrained
 * descriptor with `--faces`): POST /api/verify detects, describes and compares
 * the faces of the two uploads as `contrastive face verify` does, and answers
 * every box found so the page can draw them. A photo with no face, or several
 * and no `faceA` / `faceB` choice, is a 422 naming the field and listing its boxes.
 */
import type { FastifyInstance } from 'fastify';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import type { BundleManifest } from 'contrastive/internal/models/index.js';
import { compareFaces } from '@contrastive/faces/internal/compare.js';
import { chooseFace, describeFaces, type FacesInImage } from '@contrastive/faces/internal/describe.js';
import type { FaceEngine } from '@contrastive/faces/internal/engine.js';
import type { FaceCache } from '@contrastive/faces/internal/cache.js';
import type { FaceModel } from '@contrastive/faces/internal/pretrained.js';
import { loadFaceEngine } from '@contrastive/faces/internal/node-engine.js';
import { ApiError, oneFile, partName, type FormSpec, type Upload } from './uploads.js';
import { FACE_INDEX_TEXT, POSITIVE_THRESHOLD_TEXT, optionalField } from './fields.js';
import type { ServeContext } from './context.js';

/** What {@link createServeApp} needs to serve a face model. @group Server */
export interface ServeFaces {
  /** The decision rule: `loadFaceModel(dir)` or `pretrainedFaceModel()`; the caller disposes it. */
  model: FaceModel;
  /** The face bundle's manifest (its public part is shown), or absent for the pretrained descriptor. */
  manifest?: BundleManifest;
  /** Descriptor cache for uploads (by content hash): a FaceCache, or false (default) for none. */
  cache?: FaceCache | false;
  /** Engine to use; default one built with the model's pipeline settings. */
  engine?: FaceEngine;
}

const CHOICE_FIELDS = { a: 'faceA', b: 'faceB' } as const;

/** Field `faceA` / `faceB`: absent, or an integer >= 0. */
function choiceOf(fields: Record<string, string>, side: 'a' | 'b'): number | undefined {
  const name = CHOICE_FIELDS[side];
  return fields[name] === '' ? undefined : optionalField(fields, name, FACE_INDEX_TEXT, ` (which face of ${side}, left to right)`);
}

/** The face of one side, or a 422 naming the field with every box found. */
function chosen(found: FacesInImage, side: 'a' | 'b', index: number | undefined) {
  try {
    return chooseFace(found, index, `field '${CHOICE_FIELDS[side]}'`);
  } catch (err) {
    if (!(err instanceof ContrastiveError)) throw err;
    const code = found.faces.length === 0 ? 'NO_FACE' : index === undefined ? 'SEVERAL_FACES' : 'NO_SUCH_FACE';
    throw new ApiError(422, code, err.message, { field: side, faces: found.faces.map((f) => f.box), image: { width: found.width, height: found.height } });
  }
}

/** The public description of the face model, for GET /api/model. */
export function faceModelInfo(faces: ServeFaces): Record<string, unknown> {
  const { model } = faces;
  const { detector, maxSide } = model.pipeline;
  return { kind: faces.manifest ? 'face bundle' : 'pretrained descriptor', threshold: model.threshold, dim: model.dim, detector, maxSide, calibrated: model.platt !== null };
}

/** The parts of a face verify request. */
const VERIFY_SPEC: FormSpec = { files: { a: 1, b: 1 }, fields: ['threshold', CHOICE_FIELDS.a, CHOICE_FIELDS.b] };

/** Registers POST /api/verify for a face model on `app`, its requests limited as `ctx` says. */
export function registerFaceVerify(app: FastifyInstance, faces: ServeFaces, ctx: ServeContext): void {
  const { model } = faces;
  const { detector, minConfidence, tinyInputSize, maxSide } = model.pipeline;
  let engine: Promise<FaceEngine> | null = faces.engine ? Promise.resolve(faces.engine) : null;
  // Requests take turns on the one face-api engine: concurrent ones wait rather than interleave its tensors.
  let turn: Promise<unknown> = Promise.resolve();
  const read = (u: Upload) => async (e: FaceEngine) => describeFaces({ bytes: u.bytes, name: partName(u.field, u.filename) }, { engine: e, maxSide, cache: faces.cache ?? false });

  app.post('/api/verify', ctx.heavy(async (request, _reply, slot) => {
    const form = await ctx.form(request, slot, VERIFY_SPEC);
    const a = oneFile(form, 'a');
    const b = oneFile(form, 'b');
    const choice = { a: choiceOf(form.fields, 'a'), b: choiceOf(form.fields, 'b') };
    const threshold = optionalField(form.fields, 'threshold', POSITIVE_THRESHOLD_TEXT);
    engine ??= loadFaceEngine({ detector, minConfidence, tinyInputSize });
    engine.catch(() => (engine = null));
    const e = await engine;
    // One photo after the other; a bad photo A answers before B is read.
    const described = turn.then(async () => {
      const fa = await read(a)(e);
      const faceA = chosen(fa, 'a', choice.a);
      const fb = await read(b)(e);
      return { fa, faceA, fb, faceB: chosen(fb, 'b', choice.b) };
    });
    turn = described.catch(() => undefined);
    const { fa, faceA, fb, faceB } = await described;
    const c = await compareFaces(faceA.descriptor, faceB.descriptor, threshold === undefined ? model : { ...model, threshold });
    return {
      ...c,
      faces: { a: fa.faces.map((f) => f.box), b: fb.faces.map((f) => f.box) },
      chosen: { a: fa.faces.indexOf(faceA), b: fb.faces.indexOf(faceB) },
      images: { a: { width: fa.width, height: fa.height }, b: { width: fb.width, height: fb.height } },
    };
  }));
}
