/** `contrastive serve`: the web page and JSON API over a bundle. */
import { InvalidArgumentError, type Command } from 'commander';
import { BACKEND_CHOICES, initBackend, type BackendChoice } from '../engine/backend.js';
import { ContrastiveError } from '../errors.js';
import { openBundle } from '../jobs/evaluate-bundle.js';
import { createServeApp, DEFAULT_MAX_UPLOAD_BYTES } from '../serve/index.js';
import { oneOf, positiveInt } from './options.js';

const LOCAL_HOSTS = ['127.0.0.1', 'localhost', '::1'];

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number 0..65535, got '${value}'`);
  return n;
}

interface ServeCliOptions {
  model: string;
  port: number;
  host: string;
  maxUploadMb: number;
  map: boolean;
  mapDataset?: string;
  mapPoints: number;
  backend: BackendChoice;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('web page (verify, embedding map; in-browser mode) and JSON API over a model bundle')
    .requiredOption('--model <dir>', 'model bundle directory')
    .option('--port <n>', 'port to listen on (0: any free port)', port, 8080)
    .option('--host <addr>', 'address to bind; anything but 127.0.0.1 / localhost exposes the model to the network', '127.0.0.1')
    .option('--max-upload-mb <n>', 'largest accepted upload per file, in MiB', positiveInt, DEFAULT_MAX_UPLOAD_BYTES / 1024 / 1024)
    .option('--map-dataset <spec>', "dataset of the embedding map (default: the bundle's training dataset, test split)")
    .option('--map-points <n>', 'points of the embedding map', positiveInt, 300)
    .option('--no-map', 'no embedding map')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .action(async (o: ServeCliOptions) => {
      await initBackend(o.backend);
      const bundle = await openBundle(o.model);
      const app = await createServeApp({
        bundle,
        maxUploadBytes: o.maxUploadMb * 1024 * 1024,
        map: o.map ? { dataset: o.mapDataset, count: o.mapPoints } : false,
      });
      if (!LOCAL_HOSTS.includes(o.host)) {
        process.stderr.write(`contrastive serve: warning: binding ${o.host} makes the model and its API reachable from other machines\n`);
      }
      let address: string;
      try {
        address = await app.listen({ port: o.port, host: o.host });
      } catch (err) {
        bundle.network.dispose();
        throw new ContrastiveError('UNSUPPORTED', `serve: cannot listen on ${o.host}:${o.port}: ${(err as Error).message}`, { cause: err });
      }
      const bound = LOCAL_HOSTS.includes(o.host) ? '' : `, bound to ${o.host}`;
      process.stdout.write(`contrastive serve: ${o.model} on ${address}/ (Ctrl-C to stop${bound})\n`);
      const stop = (): void => {
        void app.close().then(() => bundle.network.dispose());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
