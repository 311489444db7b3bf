/**
 * `contrastive serve`: the web page and its JSON API over one bundle.
 *
 *     GET  /                    the page (verify, projector; search with an index)
 *     GET  /api/model           the manifest's public part
 *     POST /api/verify          multipart a, b -> { distance, threshold, same, probability }
 *     POST /api/embed           multipart image (one or more) -> { dim, embeddings }
 *     POST /api/search          multipart image [k, label], or JSON { embedding, k, label } -> { results }
 *     GET  /api/picture?id=ID   the picture of index item ID (for search hits)
 *     GET  /api/map             the embedding map: points with class and row
 *     GET  /api/map/N.png       thumbnail of point N
 *     GET  /bundle/...          manifest.json, model.json and weights, for the in-browser mode
 *
 * Over a face model (option `faces`) only the page, /api/model and
 * /api/verify (faces detected, described and compared; see faces.ts) exist.
 *
 * Everything is computed by the library (jobs/verify-pair, jobs/embedding-map);
 * this module only maps HTTP to calls and errors to 4xx JSON.
 */
import http from 'node:http';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import multipart from '@fastify/multipart';
import { ContrastiveError, check, type ErrorCode } from 'contrastive/internal/errors.js';
import type { BundleManifest } from 'contrastive/internal/models/index.js';
import type { OpenBundle } from '../jobs/evaluate-bundle.js';
import { embedPairInputs, verifyPair, type PairInput } from '../jobs/verify-pair.js';
import { splitEmbeddingMap, type SplitMap, type SplitMapOptions } from '../jobs/split-map.js';
import { examplePicture } from '../jobs/example-picture.js';
import { readUserFile, readUserText, USER_FILE_LIMITS } from '@contrastive/node/internal/util/user-file.js';
import type { EmbeddingIndex } from '@contrastive/index/internal/index.js';
import { PageAssets } from './assets.js';
import { ApiError, oneFile, readForm, type Upload } from './uploads.js';
import { faceModelInfo, registerFaceVerify, type ServeFaces } from './faces.js';

/** Options of {@link createServeApp}. */
export interface ServeOptions {
  /** The bundle to serve (see openBundle); give this or `faces`. */
  bundle?: OpenBundle;
  /** A face model to serve instead of a bundle: /api/verify compares the faces of two photos. */
  faces?: ServeFaces;
  /** Largest accepted upload per file, in bytes; default 10 MiB. */
  maxUploadBytes?: number;
  /** Most files in one /api/embed request; default 64. */
  maxFiles?: number;
  /** An index built with this bundle, for /api/search (open it with the bundle's identity; the caller closes it). */
  index?: EmbeddingIndex;
  /** The projector's data (default: the bundle's training dataset, test split, 300 points), or false for no projector. */
  map?: SplitMapOptions | false;
  /**
   * Longest a client may take to send a whole request, and longest a connection
   * may sit idle, in ms; default 30,000. A slow or silent client is cut off
   * instead of holding a connection for ever.
   */
  requestTimeoutMs?: number;
}

/** Default limit on receiving one request (and on an idle connection): 30 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Default per-file upload cap: 10 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_DATA: 422,
  NOT_FOUND: 404,
  UNSUPPORTED: 415,
  NUMERIC: 422,
  STATE: 409,
};

/** The manifest without what only the machine that trained it needs (loader options, local paths). */
export function publicManifest(manifest: BundleManifest): BundleManifest {
  const t = manifest.training;
  const dataset = t ? (t.dataset.includes('/') ? `${t.dataset.split(':')[0]}:${path.basename(t.dataset)}` : t.dataset) : null;
  return { ...manifest, training: t ? { dataset: dataset as string, epochs: t.epochs, seed: t.seed } : null };
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, details: Record<string, unknown> = {}): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error: message, code, ...details });
}

function imageInput(u: Upload): PairInput {
  return { kind: 'bytes', bytes: u.bytes, name: `field '${u.field}' (${u.filename || 'no name'})` };
}

/**
 * Builds the server (not yet listening: call `listen`, or `inject` in tests).
 *
 * @throws ContrastiveError for invalid options.
 */
export async function createServeApp(options: ServeOptions): Promise<FastifyInstance> {
  const fn = 'createServeApp';
  const { bundle, faces } = options;
  check(faces ? !bundle && typeof faces.model?.embed === 'function' : bundle && bundle.network && bundle.manifest, fn, 'give options.bundle (an open bundle: openBundle(dir)) or options.faces ({ model: a FaceModel }), one of them');
  const maxBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  check(Number.isInteger(maxBytes) && maxBytes > 0, fn, `maxUploadBytes must be a positive integer, got ${maxBytes}`);
  const maxFiles = options.maxFiles ?? 64;
  check(Number.isInteger(maxFiles) && maxFiles > 0, fn, `maxFiles must be a positive integer, got ${maxFiles}`);
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  check(Number.isInteger(timeout) && timeout > 0, fn, `requestTimeoutMs must be a positive integer, got ${timeout}`);
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Node enforces requestTimeout/headersTimeout only at its checking interval (30 s by default): check every second.
    serverFactory: (handler) => {
      const server = http.createServer({ requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.min(1000, timeout) }, handler);
      server.setTimeout(timeout); // idle sockets (fastify's connectionTimeout, which a server factory must set itself)
      return server;
    },
  });
  await app.register(multipart, { limits: { fileSize: maxBytes, files: maxFiles, fields: 16, parts: maxFiles + 16 } });

  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof ApiError) return sendError(reply, err.statusCode, err.code, err.message, err.details);
    if (err instanceof ContrastiveError) return sendError(reply, STATUS[err.code] ?? 400, err.code, err.message);
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') return sendError(reply, 413, 'TOO_LARGE', `an uploaded file is larger than the ${maxBytes}-byte limit`);
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return sendError(reply, e.statusCode, e.code ?? 'BAD_REQUEST', e.message);
    return sendError(reply, 500, 'INTERNAL', `internal error: ${e.message}`);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NOT_FOUND', `no such path: ${request.method} ${request.url.split('?')[0]}`));
  registerPage(app);

  if (faces) {
    check(options.index === undefined, fn, 'options.index does not apply to a face model (use contrastive face identify)');
    app.get('/api/model', async () => ({
      manifest: faces.manifest ? publicManifest(faces.manifest) : null,
      faces: faceModelInfo(faces),
      features: { verify: true, faces: true, embed: false, search: false, map: false, browser: false },
      index: null,
      limits: { maxUploadBytes: maxBytes, maxFiles },
    }));
    registerFaceVerify(app, faces, maxBytes);
    return app;
  }
  check(bundle !== undefined, fn, 'options.bundle is missing');
  const manifest = bundle.manifest;
  const index = options.index;
  if (index) {
    check(index.dim === bundle.network.embeddingDim, fn, `the index holds ${index.dim}-d embeddings but the bundle makes ${bundle.network.embeddingDim}-d ones`);
  }
  const takesImages = manifest.input.preprocessing.kind === 'image';
  const mapOptions = options.map === false ? null : (options.map ?? {});
  const hasMap = mapOptions !== null && takesImages && (mapOptions.dataset !== undefined || manifest.training?.dataset !== undefined);
  let map: Promise<SplitMap> | null = null;
  const getMap = (): Promise<SplitMap> => {
    map ??= splitEmbeddingMap(bundle, mapOptions ?? {});
    map.catch(() => (map = null));
    return map;
  };


  app.get('/api/model', async () => ({
    manifest: publicManifest(manifest),
    features: { verify: takesImages, embed: takesImages, search: index !== undefined, map: hasMap, browser: takesImages },
    index: index ? { items: (await index.stats()).items, distance: index.distance, where: path.basename(index.where) } : null,
    limits: { maxUploadBytes: maxBytes, maxFiles },
  }));

  app.post('/api/verify', async (request) => {
    const form = await readForm(request, maxBytes);
    const a = oneFile(form, 'a');
    const b = oneFile(form, 'b');
    let threshold: number | undefined;
    if (form.fields.threshold !== undefined) {
      threshold = Number(form.fields.threshold);
      if (form.fields.threshold.trim() === '' || !Number.isFinite(threshold)) {
        throw new ApiError(400, 'INVALID_FIELD', `field 'threshold' must be a finite number, got '${form.fields.threshold}'`);
      }
    }
    return verifyPair(bundle, imageInput(a), imageInput(b), { threshold });
  });

  app.post('/api/embed', async (request) => {
    const form = await readForm(request, maxBytes);
    const images = form.files.filter((f) => f.field === 'image');
    if (images.length === 0) oneFile(form, 'image');
    for (const f of images) if (f.bytes.length === 0) throw new ApiError(400, 'EMPTY_FILE', `field 'image' (${f.filename || 'no name'}) is an empty file`);
    const dim = bundle.network.embeddingDim;
    const flat = await embedPairInputs(bundle, images.map(imageInput));
    return {
      dim,
      normalized: manifest.embedding.normalize,
      embeddings: images.map((_, i) => Array.from(flat.subarray(i * dim, (i + 1) * dim))),
    };
  });

  // The query is an image (embedded here) or, from the in-browser mode, an embedding (the image stays on the device).
  app.post('/api/search', async (request) => {
    if (!index) throw new ApiError(404, 'NO_INDEX', 'this server has no index (start it with --index FILE)');
    let query: Float32Array;
    let fields: Record<string, unknown>;
    if (request.isMultipart()) {
      const form = await readForm(request, maxBytes);
      query = await embedPairInputs(bundle, [imageInput(oneFile(form, 'image'))]);
      fields = form.fields;
    } else {
      const body = request.body as { embedding?: unknown } | null;
      const e = body?.embedding;
      if (!(Array.isArray(e) && e.length === index.dim && e.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
        throw new ApiError(400, 'INVALID_FIELD', `send multipart/form-data with an 'image' file, or JSON { "embedding": [${index.dim} finite numbers] }`);
      }
      query = Float32Array.from(e as number[]);
      fields = body as Record<string, unknown>;
    }
    const k = fields.k === undefined ? 10 : Number(fields.k);
    if (!(Number.isInteger(k) && k >= 1 && k <= 100)) throw new ApiError(400, 'INVALID_FIELD', `field 'k' must be an integer in 1..100, got '${String(fields.k)}'`);
    const label = fields.label === undefined || fields.label === '' ? undefined : String(fields.label);
    return { results: await index.search(query, { k, label }) };
  });

  // Only what the index names is ever read: the item's source, looked up by its id.
  app.get<{ Querystring: { id?: string } }>('/api/picture', async (request, reply) => {
    if (!index) throw new ApiError(404, 'NO_INDEX', 'this server has no index');
    const id = request.query.id;
    if (typeof id !== 'string' || id === '') throw new ApiError(400, 'MISSING_FIELD', "give the item as ?id=ID");
    const found = await index.get(id);
    const png = found?.item.source ? await examplePicture(found.item.source) : null;
    if (!png) throw new ApiError(404, 'NOT_FOUND', found ? `item '${id}' has no picture to show` : `no item '${id}' in the index`);
    return reply.type('image/png').send(Buffer.from(png));
  });

  app.get('/api/map', async () => {
    if (!hasMap) throw new ApiError(404, 'NO_MAP', 'this server has no embedding map (the bundle records no dataset, or --no-map)');
    const m = await getMap();
    return { dataset: m.dataset, split: m.split, method: m.method, points: m.points, thumbnails: m.thumbnails.length > 0 };
  });

  app.get<{ Params: { i: string } }>('/api/map/:i.png', async (request, reply) => {
    if (!hasMap) throw new ApiError(404, 'NO_MAP', 'this server has no embedding map');
    const m = await getMap();
    const i = Number(request.params.i);
    if (!(/^\d+$/.test(request.params.i) && i < m.thumbnails.length)) throw new ApiError(404, 'NOT_FOUND', `no thumbnail ${request.params.i} (0..${m.thumbnails.length - 1})`);
    return reply.type('image/png').send(Buffer.from(m.thumbnails[i]));
  });

  // The bundle's files for the in-browser mode: the public manifest and the files it names, nothing else.
  const modelJson = JSON.parse(await readUserText(path.join(bundle.dir, manifest.files.model), { maxBytes: USER_FILE_LIMITS.json, what: 'bundle file' })) as { weightsManifest?: Array<{ paths?: string[] }> };
  const bundleFiles = new Set([manifest.files.model, ...(modelJson.weightsManifest ?? []).flatMap((g) => g.paths ?? [])]);
  app.get<{ Params: { file: string } }>('/bundle/:file', async (request, reply) => {
    const file = request.params.file;
    if (file === 'manifest.json') return publicManifest(manifest);
    if (!bundleFiles.has(file)) throw new ApiError(404, 'NOT_FOUND', `the bundle has no file '${file}'`);
    const type = file.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream';
    return reply.type(type).send(await readUserFile(path.join(bundle.dir, file), { maxBytes: USER_FILE_LIMITS.large, what: 'bundle file' }));
  });

  return app;
}

/** The page and its assets (/, /page.js, /vendor/..., /lib/...). */
function registerPage(app: FastifyInstance): void {
  const assets = new PageAssets();
  const sendAsset = async (name: string, reply: FastifyReply): Promise<FastifyReply> => {
    const asset = assets.get(name);
    if (!asset) throw new ApiError(404, 'NOT_FOUND', `no such file: /${name}`);
    const { body, type } = await asset;
    return reply.type(type).header('cache-control', 'no-cache').send(body);
  };
  app.get('/', async (_request, reply) => sendAsset('index.html', reply));
  app.get<{ Params: { '*': string } }>('/*', async (request, reply) => sendAsset(request.params['*'], reply));
}
