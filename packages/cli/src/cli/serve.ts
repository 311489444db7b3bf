/** `contrastive serve`: the web page and JSON API over a bundle. */
import { InvalidArgumentError, type Command } from 'commander';
import { isIP } from 'node:net';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import type { BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { MODEL_HELP, openModel, resolveModelDir } from './bundle-options.js';
import { BACKEND_CHOICES } from '@contrastive/node/internal/engine/names.js';
import { oneOf, optionWithDefault, positiveInt } from './options.js';
import { say, warn } from './output.js';
import { echoValue } from 'contrastive/internal/util/format.js';

const LOCAL_HOSTS = ['127.0.0.1', 'localhost', '::1'];
/** Defaults, shown in --help from the same constants the action uses. */
const SERVE_DEFAULTS = { port: 8080, host: '127.0.0.1', maxUploadMb: 10, mapPoints: 300 };
/** After Ctrl-C or SIGTERM, how long requests in flight may take to finish before the server stops anyway. */
export const STOP_GRACE_MS = 3000;

/** --allow-host: a host name (letters, digits, dots, dashes), collected over repeats. */
function hostName(value: string, previous: string[] = []): string[] {
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(value)) throw new InvalidArgumentError(`expected a host name such as myhost.lan, got '${value.slice(0, 60)}'`);
  return [...previous, value];
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError(`expected a port number 0..65535, got '${echoValue(value)}'`);
  return n;
}

/**
 * --host: an IPv4 or IPv6 address or a host name. A dotted quad out of range
 * (999.1.1.1) is refused here, in one line, before any model is loaded.
 */
export function hostAddress(value: string): string {
  const v = value.trim();
  const label = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
  const name = v.length <= 253 && !/^[\d.]+$/.test(v) && v.split('.').every((l) => label.test(l));
  if (!isIP(v) && !name) throw new InvalidArgumentError(`expected an IP address (such as 127.0.0.1 or ::1) or a host name, got '${echoValue(value)}'`);
  return v;
}

interface ServeCliOptions {
  model?: string;
  faces?: boolean;
  cache: boolean;
  cacheDir?: string;
  port: number;
  host: string;
  maxUploadMb: number;
  map: boolean;
  mapDataset?: string;
  mapPoints: number;
  index?: string;
  allowHost?: string[];
  connectTimeout?: number;
  backend: BackendChoice;
}

/** Adds `contrastive serve` to `program`. */
export function registerServeCommand(program: Command): void {
  const cmd = program.command('serve').description('web page (verify on the server or in the browser, embedding map) and JSON API over a model bundle');
  // --model is optional here: --faces alone serves the pretrained face descriptor.
  cmd
    .option('--model <dir>', `${MODEL_HELP}; a face bundle (train --dataset faces:DIR) verifies faces`)
    .addOption(optionWithDefault('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto' as BackendChoice))
    .option('--faces', 'verify faces with the pretrained descriptor and its calibrated threshold, as face verify does without --model')
    .option('--no-cache', 'faces: do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'faces: descriptor cache folder (default ~/.cache/contrastive/faces)')
    .addOption(optionWithDefault('--port <n>', 'port to listen on, 0 for any free port', port, SERVE_DEFAULTS.port))
    .addOption(optionWithDefault('--host <addr>', 'address to bind; another than 127.0.0.1 / localhost exposes the model to the network', hostAddress, SERVE_DEFAULTS.host))
    .option('--allow-host <name>', 'also answer requests for this host name (repeatable); localhost, IP addresses and --host are always answered, other names get 403 (DNS rebinding)', hostName)
    .addOption(optionWithDefault('--max-upload-mb <n>', 'largest accepted upload per file, in MiB', positiveInt, SERVE_DEFAULTS.maxUploadMb))
    .option('--index <target>', 'index built with this bundle (contrastive index build): SQLite file or postgres:// URL; enables search')
    .option('--connect-timeout <ms>', 'PostgreSQL connect timeout in ms (default 5000)', positiveInt)
    .option('--map-dataset <spec>', "dataset of the embedding map (default: the bundle's training dataset; its test split)")
    .addOption(optionWithDefault('--map-points <n>', 'points of the embedding map', positiveInt, SERVE_DEFAULTS.mapPoints))
    .option('--no-map', 'no embedding map')
    .action(async (o: ServeCliOptions) => {
      if (o.faces || o.model === undefined) return serveFaces(o);
      const { createServeApp } = await import('../serve/index.js');
      const { EmbeddingIndex } = await import('@contrastive/index/internal/index.js');
      const { bundleIdentity } = await import('@contrastive/node/internal/embed/bundle-identity.js');
      const bundle = await openModel({ model: o.model, backend: o.backend });
      const { facePipelineOf } = await import('@contrastive/faces/internal/model.js');
      if (facePipelineOf(bundle.manifest)) {
        bundle.network.dispose();
        return serveFaces(o);
      }
      let index: import('@contrastive/index/internal/index.js').EmbeddingIndex | undefined;
      try {
        // Opening with the bundle's identity refuses an index another model built.
        if (o.index !== undefined) index = await EmbeddingIndex.open(o.index, { model: await bundleIdentity(bundle.dir), dim: bundle.manifest.embedding.dim, connectTimeoutMs: o.connectTimeout });
      } catch (err) {
        bundle.network.dispose();
        throw err;
      }
      const close = async (): Promise<void> => {
        await index?.close();
        bundle.network.dispose();
      };
      const app = await createServeApp({
        bundle,
        index,
        maxUploadBytes: o.maxUploadMb * 1024 * 1024,
        allowedHosts: allowedHosts(o),
        map: o.map ? { dataset: o.mapDataset, count: o.mapPoints } : false,
      });
      await listenUntilStopped(app, o, bundle.dir, close, index ? [`searching ${index.where}`] : []);
    });
}

/** The Host names the server answers besides localhost and IP addresses: --host and each --allow-host. */
function allowedHosts(o: ServeCliOptions): string[] {
  return [o.host, ...(o.allowHost ?? [])];
}

/**
 * Listens on --host/--port (warning when that is not a loopback address), prints
 * the URL, and on Ctrl-C or SIGTERM closes the server, then `release`s what it
 * served. Requests in flight get {@link STOP_GRACE_MS} to finish; then their
 * connections are cut and the process exits whatever still runs (a second
 * signal exits at once). A failed listen releases too, and is one error line.
 */
async function listenUntilStopped(
  app: import('fastify').FastifyInstance,
  o: ServeCliOptions,
  what: string,
  release: () => void | Promise<void>,
  before: string[] = [],
): Promise<void> {
  const local = LOCAL_HOSTS.includes(o.host);
  let address: string;
  try {
    address = await app.listen({ port: o.port, host: o.host });
  } catch (err) {
    await release();
    throw new ContrastiveError('UNSUPPORTED', `serve: cannot listen on ${o.host}:${o.port}: ${(err as Error).message}`, { cause: err });
  }
  // warned once bound: a host that cannot be bound is one error line, not a warning and then an error
  if (!local) warn(`contrastive serve: warning: binding ${o.host} makes the model and its API reachable from other machines\n`);
  for (const line of before) say(`contrastive serve: ${line}\n`);
  say(`contrastive serve: ${what} on ${address}/ (Ctrl-C to stop${local ? '' : `, bound to ${o.host}`})\n`);
  let stopping = false;
  let closed = false;
  let released: Promise<void> | null = null;
  const releaseOnce = (): Promise<void> => (released ??= Promise.resolve().then(release).catch(() => undefined));
  const stop = (): void => {
    if (stopping) process.exit(process.exitCode ?? 0); // a second Ctrl-C: now
    stopping = true;
    // Unref'd: when everything has closed the process ends before it fires; it fires only when
    // a request in flight, or work it started, still holds the process.
    const force = setTimeout(() => {
      if (!closed) process.stderr.write(`contrastive serve: requests still running after ${STOP_GRACE_MS / 1000} s; stopping anyway\n`);
      app.server.closeAllConnections();
      // What still runs (a model call) cannot be cancelled: release what can be, then exit.
      void Promise.race([releaseOnce(), new Promise((r) => setTimeout(r, 1000))]).then(() => process.exit(process.exitCode ?? 0));
    }, STOP_GRACE_MS);
    force.unref();
    void app
      .close()
      .then(releaseOnce)
      .then(() => (closed = true));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** `serve --faces`, or `serve --model FACE_BUNDLE`: the page verifies faces. */
async function serveFaces(o: ServeCliOptions): Promise<void> {
  if (o.model === undefined && !o.faces) throw new ContrastiveError('INVALID_ARGUMENT', 'serve: give --model DIR (a bundle or a face bundle), or --faces for the pretrained face descriptor');
  for (const [flag, given] of [['--index', o.index !== undefined], ['--map-dataset', o.mapDataset !== undefined]] as const) {
    if (given) throw new ContrastiveError('INVALID_ARGUMENT', `serve: ${flag} does not apply to face verification (use contrastive face enroll/identify for an index of faces)`);
  }
  await (await import('@contrastive/node/internal/engine/backend.js')).initBackend(o.backend);
  const { createServeApp } = await import('../serve/index.js');
  const { loadFaceModel, facePipelineOf } = await import('@contrastive/faces/internal/model.js');
  const { pretrainedFaceModel } = await import('@contrastive/faces/internal/pretrained.js');
  const { FaceCache } = await import('@contrastive/faces/internal/cache.js');
  const { readManifest } = await import('@contrastive/node/internal/models/bundle.js');
  const dir = o.model === undefined ? undefined : resolveModelDir(o.model);
  const manifest = dir === undefined ? undefined : await readManifest(dir);
  if (manifest && !facePipelineOf(manifest)) throw new ContrastiveError('INVALID_ARGUMENT', `serve: --faces needs a face bundle, and ${dir} is not one (drop --faces to serve it as it is)`);
  const model = dir === undefined ? pretrainedFaceModel() : await loadFaceModel(dir);
  // face-api is loaded before listening: a broken install fails here, and the first request is not the slow one.
  const { detector, minConfidence, tinyInputSize } = model.pipeline;
  const engine = await (await import('@contrastive/faces/internal/node-engine.js')).loadFaceEngine({ detector, minConfidence, tinyInputSize });
  const app = await createServeApp({ faces: { model, manifest, engine, cache: o.cache ? new FaceCache(o.cacheDir) : false }, maxUploadBytes: o.maxUploadMb * 1024 * 1024, allowedHosts: allowedHosts(o) });
  await listenUntilStopped(app, o, `faces (${dir ?? 'pretrained descriptor'})`, () => model.dispose());
}
