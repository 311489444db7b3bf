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
 * this module only maps HTTP to calls and errors to 4xx JSON. What a web page
 * or a client cannot make it do is set here too and documented in
 * docs/guides/serve.md: a Host allow-list and an Origin check (request-guard.ts),
 * security headers (security-headers.ts), a deadline on receiving each request
 * (connection-deadline.ts), a timeout on answering it, a few heavy requests at
 * a time and one budget of upload memory for all (load-limits.ts), strict
 * fields (fields.ts), and files read only when regular and under a cap.
 */
import http from 'node:http';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
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
import { ApiError, MAX_FIELD_BYTES, clip, oneFile, partName, quote, readForm, type FormSpec, type Upload } from './uploads.js';
import { faceModelInfo, registerFaceVerify, type ServeFaces } from './faces.js';
import { RequestGate, type Turn } from './load-limits.js';
import type { HeavyHandler, ServeContext } from './context.js';

export type { ServeContext } from './context.js';
import { guardRequest, hostAllowList } from './request-guard.js';
import { pagePolicy, setSecurityHeaders } from './security-headers.js';
import { RequestDeadline } from './connection-deadline.js';
import { K_JSON, K_TEXT, LABEL, THRESHOLD_TEXT, embeddingRule, jsonObject, optionalField, parseField } from './fields.js';

/** Options of {@link createServeApp}. @group Server */
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
   * Longest a client may take to send a whole request, counted from when its
   * connection opens (or, on a kept-alive connection, from the end of the
   * previous answer), in ms; default 30,000. A slow or silent client gets a 408
   * and is cut off instead of holding a connection for ever.
   */
  requestTimeoutMs?: number;
  /**
   * Longest the server may take to answer a request once received (waiting for
   * a turn included), in ms; default 60,000. Past it the answer is a 503
   * `TIMEOUT`.
   */
  handlerTimeoutMs?: number;
  /**
   * Host names served besides `localhost` and IP addresses (the name the server
   * is reached by when not those, e.g. its --host name). Requests for any other
   * Host are 403: a web page that rebinds its own DNS name to this machine
   * cannot reach the server.
   */
  allowedHosts?: string[];
  /** Heavy requests (uploads, the model, file reads) answered at once; default 4. */
  maxConcurrent?: number;
  /** Heavy requests waiting for a turn; one more is a 503 with Retry-After; default 64. */
  maxQueued?: number;
  /**
   * Upload bytes held by all requests together, in bytes; default 256 MiB or
   * 4 x maxUploadBytes, whichever is larger. A request that alone passes it is
   * a 413; one that cannot be held now beside the others a 503 with Retry-After.
   */
  maxBufferedBytes?: number;
}

/** Default limit on receiving one request (and on an idle connection): 30 s. @group Server */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Default limit on answering one request: 60 s. @group Server */
export const DEFAULT_HANDLER_TIMEOUT_MS = 60_000;

/** Default per-file upload cap: 10 MiB. @group Server */
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Default cap on upload bytes held by all requests together: 256 MiB (at least 4 x the per-file cap). */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

/** Default number of heavy requests answered at once: 4. */
export const DEFAULT_MAX_CONCURRENT = 4;

/** Default number of heavy requests waiting for a turn: 64. */
export const DEFAULT_MAX_QUEUED = 64;

/** Largest bundle file served to the in-browser mode: 1 GiB. */
const MAX_BUNDLE_FILE_BYTES = 1024 * 1024 * 1024;

/** How long a kept-alive connection may wait for its next request (Node's default, advertised in Keep-Alive). */
const KEEP_ALIVE_MS = 5000;

/** Seconds a busy answer asks the client to wait. */
const RETRY_AFTER_SECONDS = 1;

const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_DATA: 422,
  NOT_FOUND: 404,
  UNSUPPORTED: 415,
  NUMERIC: 422,
  STATE: 409,
};

/** The manifest without what only the machine that trained it needs (loader options, local paths). @group Server */
export function publicManifest(manifest: BundleManifest): BundleManifest {
  const t = manifest.training;
  const dataset = t ? (t.dataset.includes('/') ? `${t.dataset.split(':')[0]}:${path.basename(t.dataset)}` : t.dataset) : null;
  return { ...manifest, training: t ? { dataset: dataset as string, epochs: t.epochs, seed: t.seed } : null };
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return reply.code(status).type('application/json; charset=utf-8').send({ error: message, code, ...details });
}

function imageInput(u: Upload): PairInput {
  return { kind: 'bytes', bytes: u.bytes, name: partName(u.field, u.filename) };
}

function positiveInteger(value: number, fn: string, name: string): number {
  check(Number.isInteger(value) && value > 0, fn, `${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Runs `handler` in a turn of `gate`. While it waits for the turn its request's
 * receive deadline is paused (the wait is the server's, not the client's).
 * When its answer is over (the handler timeout answered) or its client has
 * gone before the work ends, the wait is abandoned and an upload still being
 * read is cut, so its turn and bytes come back: Node detaches a request from
 * its connection once the answer is sent, and a body read after that would
 * otherwise never end.
 */
async function runHeavy<R>(gate: RequestGate, deadline: RequestDeadline | undefined, request: FastifyRequest, reply: FastifyReply, handler: HeavyHandler<R>): Promise<R> {
  const socket = request.raw.socket;
  const over = new AbortController();
  let running = true;
  const onOver = (): void => {
    if (!running) return;
    over.abort(new ApiError(503, 'TIMEOUT', 'the request ended before it was answered'));
    if (!request.raw.complete) request.raw.destroy();
  };
  reply.raw.once('close', onOver);
  socket?.once('close', onOver);
  if (socket) deadline?.pause(socket);
  try {
    return await gate.run(over.signal, (turn) => {
      if (socket) deadline?.resume(socket);
      return handler(request, reply, turn);
    });
  } finally {
    running = false;
    reply.raw.removeListener('close', onOver);
    socket?.removeListener('close', onOver);
  }
}

/**
 * Builds the server (not yet listening: call `listen`, or `inject` in tests).
 *
 * @throws ContrastiveError for invalid options.
 * @group Server
 */
export async function createServeApp(options: ServeOptions): Promise<FastifyInstance> {
  const fn = 'createServeApp';
  const { bundle, faces } = options;
  check(faces ? !bundle && typeof faces.model?.embed === 'function' : bundle && bundle.network && bundle.manifest, fn, 'give options.bundle (an open bundle: openBundle(dir)) or options.faces ({ model: a FaceModel }), one of them');
  const maxBytes = positiveInteger(options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, fn, 'maxUploadBytes');
  const maxFiles = positiveInteger(options.maxFiles ?? 64, fn, 'maxFiles');
  const timeout = positiveInteger(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, fn, 'requestTimeoutMs');
  const handlerTimeout = positiveInteger(options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS, fn, 'handlerTimeoutMs');
  const maxConcurrent = positiveInteger(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, fn, 'maxConcurrent');
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  check(Number.isInteger(maxQueued) && maxQueued >= 0, fn, `maxQueued must be an integer >= 0, got ${maxQueued}`);
  const maxBuffered = positiveInteger(options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, 4 * maxBytes), fn, 'maxBufferedBytes');
  check(maxBuffered >= maxBytes, fn, `maxBufferedBytes (${maxBuffered}) must be at least maxUploadBytes (${maxBytes}): one file must fit`);
  const allowedHosts = options.allowedHosts ?? [];
  check(Array.isArray(allowedHosts) && allowedHosts.every((h) => typeof h === 'string' && h !== ''), fn, 'allowedHosts must be an array of host names');
  const isAllowedHost = hostAllowList(allowedHosts);

  let deadline: RequestDeadline | undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    handlerTimeout,
    serverFactory: (handler) => {
      // The request deadline is RequestDeadline's (from the connection's start, paused while a request waits
      // for a turn). Node's requestTimeout is off: it would cut a request the server itself holds back in the
      // queue. Its headersTimeout stays as a second line, checked every second (not every 30 s).
      const server = http.createServer({ requestTimeout: 0, headersTimeout: timeout, keepAliveTimeout: KEEP_ALIVE_MS, connectionsCheckingInterval: Math.min(1000, timeout) }, handler);
      // A socket silent both ways for longer than a request may take to arrive and be answered is dead
      // (a client that stopped reading its answer): close it. Never shorter, or a request at work would be cut.
      server.setTimeout(timeout + handlerTimeout);
      deadline = new RequestDeadline(server, timeout, KEEP_ALIVE_MS);
      return server;
    },
  });
  // Only multipart and JSON bodies are read: a text/plain (or any other) body is a 415 before any handler.
  app.removeContentTypeParser('text/plain');
  await app.register(multipart, { limits: { fileSize: maxBytes, files: maxFiles, fields: 16, parts: maxFiles + 16, fieldSize: MAX_FIELD_BYTES } });

  const gate = new RequestGate({ maxConcurrent, maxQueued, maxBufferedBytes: maxBuffered, retryAfterSeconds: RETRY_AFTER_SECONDS });
  const ctx: ServeContext = {
    maxBytes,
    maxFiles,
    gate,
    heavy: (handler) => (request, reply) => runHeavy(gate, deadline, request, reply, handler),
    form: (request, turn, spec) => readForm(request, { spec, maxBytes, turn }),
  };

  app.addHook('onRequest', async (request) => guardRequest(request, isAllowedHost));
  app.addHook('onSend', async (_request, reply) => setSecurityHeaders(reply));
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof ApiError) return sendError(reply, err.statusCode, err.code, err.message, err.details, err.headers);
    if (err instanceof ContrastiveError) return sendError(reply, STATUS[err.code] ?? 400, err.code, err.message);
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') return sendError(reply, 413, 'TOO_LARGE', `an uploaded file is larger than the ${maxBytes}-byte limit`);
    if (e.code === 'FST_ERR_HANDLER_TIMEOUT') return sendError(reply, 503, 'TIMEOUT', `the request was not answered within ${handlerTimeout} ms; try again, or with fewer or smaller files`);
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const type = reply.request.headers['content-type'];
      return sendError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', `a body of type ${type === undefined ? '(none)' : quote(type)} is not read: send multipart/form-data (image files) or application/json`);
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return sendError(reply, e.statusCode, e.code ?? 'BAD_REQUEST', e.message);
    return sendError(reply, 500, 'INTERNAL', `internal error: ${e.message}`);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NOT_FOUND', `no such path: ${request.method} ${quote(request.url.split('?')[0])}`));
  registerPage(app);

  const limits = { maxUploadBytes: maxBytes, maxFiles, maxBufferedBytes: maxBuffered, maxConcurrent, maxQueued, requestTimeoutMs: timeout, handlerTimeoutMs: handlerTimeout };
  if (faces) {
    check(options.index === undefined, fn, 'options.index does not apply to a face model (use contrastive face identify)');
    app.get('/api/model', async () => ({
      manifest: faces.manifest ? publicManifest(faces.manifest) : null,
      faces: faceModelInfo(faces),
      features: { verify: true, faces: true, embed: false, search: false, map: false, browser: false },
      index: null,
      limits,
      load: gate.load,
    }));
    registerFaceVerify(app, faces, ctx);
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
    limits,
    load: gate.load,
  }));

  const verifySpec: FormSpec = { files: { a: 1, b: 1 }, fields: ['threshold'] };
  app.post(
    '/api/verify',
    ctx.heavy(async (request, _reply, turn) => {
      const form = await ctx.form(request, turn, verifySpec);
      const a = oneFile(form, 'a');
      const b = oneFile(form, 'b');
      const threshold = optionalField(form.fields, 'threshold', THRESHOLD_TEXT);
      return verifyPair(bundle, imageInput(a), imageInput(b), { threshold });
    }),
  );

  const embedSpec: FormSpec = { files: { image: maxFiles }, fields: [] };
  app.post(
    '/api/embed',
    ctx.heavy(async (request, _reply, turn) => {
      const form = await ctx.form(request, turn, embedSpec);
      const images = form.files;
      if (images.length === 0) oneFile(form, 'image');
      for (const f of images) if (f.bytes.length === 0) throw new ApiError(400, 'EMPTY_FILE', `${partName(f.field, f.filename)} is an empty file`);
      const dim = bundle.network.embeddingDim;
      const flat = await embedPairInputs(bundle, images.map(imageInput));
      return {
        dim,
        normalized: manifest.embedding.normalize,
        embeddings: images.map((_, i) => Array.from(flat.subarray(i * dim, (i + 1) * dim))),
      };
    }),
  );

  // The query is an image (embedded here) or, from the in-browser mode, an embedding (the image stays on the device).
  const searchSpec: FormSpec = { files: { image: 1 }, fields: ['k', 'label'] };
  const jsonSearch = index ? `JSON { "embedding": [${index.dim} finite numbers], "k": 1..100, "label": "..." }` : '';
  app.post(
    '/api/search',
    ctx.heavy(async (request, _reply, turn) => {
      if (!index) throw new ApiError(404, 'NO_INDEX', 'this server has no index (start it with --index FILE)');
      let query: Float32Array;
      let k: number | undefined;
      let label: string | undefined;
      if (request.isMultipart()) {
        const form = await ctx.form(request, turn, searchSpec);
        const image = oneFile(form, 'image');
        k = optionalField(form.fields, 'k', K_TEXT);
        label = optionalField(form.fields, 'label', LABEL);
        query = await embedPairInputs(bundle, [imageInput(image)]);
      } else {
        const shape = `multipart/form-data with an 'image' file, or ${jsonSearch}`;
        const body = jsonObject(request.body, ['embedding', 'k', 'label'], shape);
        if (body.embedding === undefined) throw new ApiError(400, 'MISSING_FIELD', `missing field 'embedding': send ${shape}`);
        query = Float32Array.from(parseField('embedding', body.embedding, embeddingRule(index.dim)));
        k = body.k === undefined ? undefined : parseField('k', body.k, K_JSON);
        label = body.label === undefined ? undefined : parseField('label', body.label, LABEL);
      }
      // the index stays open for the server's life: an approximate search keeps its graph mapped between requests
      const answer = await index.searchDetailed(query, 1, { k: k ?? 10, label: label === '' ? undefined : label });
      return { mode: answer.mode, results: answer.hits[0] };
    }),
  );

  // Only what the index names is ever read: the item's source, looked up by its id, a regular file under a cap.
  app.get<{ Querystring: { id?: string } }>(
    '/api/picture',
    ctx.heavy(async (request, reply) => {
      if (!index) throw new ApiError(404, 'NO_INDEX', 'this server has no index');
      const id = (request.query as { id?: unknown }).id;
      if (typeof id !== 'string' || id === '') throw new ApiError(400, 'MISSING_FIELD', 'give the item as ?id=ID');
      const found = await index.get(id);
      let png: Uint8Array | null = null;
      try {
        png = found?.item.source ? await examplePicture(found.item.source) : null;
      } catch (err) {
        if (err instanceof ContrastiveError) throw new ApiError(422, 'UNREADABLE_PICTURE', `item ${quote(id)}: ${err.message}`);
        throw err;
      }
      if (!png) throw new ApiError(404, 'NOT_FOUND', found ? `item ${quote(id)} has no picture to show` : `no item ${quote(id)} in the index`);
      return reply.type('image/png').send(Buffer.from(png));
    }),
  );

  app.get(
    '/api/map',
    ctx.heavy(async () => {
      if (!hasMap) throw new ApiError(404, 'NO_MAP', 'this server has no embedding map (the bundle records no dataset, or --no-map)');
      const m = await getMap();
      return { dataset: m.dataset, split: m.split, method: m.method, points: m.points, thumbnails: m.thumbnails.length > 0 };
    }),
  );

  app.get<{ Params: { i: string } }>(
    '/api/map/:i.png',
    ctx.heavy(async (request, reply) => {
      if (!hasMap) throw new ApiError(404, 'NO_MAP', 'this server has no embedding map');
      const m = await getMap();
      const param = (request.params as { i: string }).i;
      const i = Number(param);
      if (!(/^\d+$/.test(param) && i < m.thumbnails.length)) throw new ApiError(404, 'NOT_FOUND', `no thumbnail ${quote(param)} (0..${m.thumbnails.length - 1})`);
      return reply.type('image/png').send(Buffer.from(m.thumbnails[i]));
    }),
  );

  // The bundle's files for the in-browser mode: the public manifest and the files it names, nothing else.
  const readBundleFile = (file: string): Promise<Buffer> => readUserFile(path.join(bundle.dir, file), { maxBytes: MAX_BUNDLE_FILE_BYTES, what: 'bundle file' });
  const modelJson = JSON.parse((await readBundleFile(manifest.files.model)).toString('utf8')) as { weightsManifest?: Array<{ paths?: string[] }> };
  const bundleFiles = new Set([manifest.files.model, ...(modelJson.weightsManifest ?? []).flatMap((g) => g.paths ?? [])]);
  app.get<{ Params: { file: string } }>(
    '/bundle/:file',
    ctx.heavy(async (request, reply) => {
      const file = (request.params as { file: string }).file;
      if (file === 'manifest.json') return publicManifest(manifest);
      if (!bundleFiles.has(file)) throw new ApiError(404, 'NOT_FOUND', `the bundle has no file ${quote(file)}`);
      const type = file.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream';
      return reply.type(type).send(await readBundleFile(file));
    }),
  );

  return app;
}

/** The page and its assets (/, /page.js, /vendor/..., /lib/...); the page gets its own Content-Security-Policy. */
function registerPage(app: FastifyInstance): void {
  const assets = new PageAssets();
  const sendAsset = async (name: string, reply: FastifyReply): Promise<FastifyReply> => {
    const asset = assets.get(name);
    if (!asset) throw new ApiError(404, 'NOT_FOUND', `no such file: /${clip(name)}`);
    const { body, type } = await asset;
    if (name === 'index.html') reply.header('content-security-policy', pagePolicy(body.toString()));
    return reply.type(type).header('cache-control', 'no-cache').send(body);
  };
  app.get('/', async (_request, reply) => sendAsset('index.html', reply));
  app.get<{ Params: { '*': string } }>('/*', async (request, reply) => sendAsset(request.params['*'], reply));
}
