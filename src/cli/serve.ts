/** `contrastive serve`: the web page and JSON API over a bundle. */
import { InvalidArgumentError, type Command } from 'commander';
import { ContrastiveError } from '../errors.js';
import type { BackendChoice } from '../engine/names.js';
import { addModelOptions, openModel } from './bundle-options.js';
import { optionWithDefault, positiveInt } from './options.js';

const LOCAL_HOSTS = ['127.0.0.1', 'localhost', '::1'];
/** Defaults, shown in --help from the same constants the action uses. */
const SERVE_DEFAULTS = { port: 8080, host: '127.0.0.1', maxUploadMb: 10, mapPoints: 300 };

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError(`expected a port number 0..65535, got '${value}'`);
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
  const cmd = program.command('serve').description('web page (verify on the server or in the browser, embedding map) and JSON API over a model bundle');
  addModelOptions(cmd)
    .addOption(optionWithDefault('--port <n>', 'port to listen on, 0 for any free port', port, SERVE_DEFAULTS.port))
    .addOption(optionWithDefault('--host <addr>', 'address to bind; another than 127.0.0.1 / localhost exposes the model to the network', undefined, SERVE_DEFAULTS.host))
    .addOption(optionWithDefault('--max-upload-mb <n>', 'largest accepted upload per file, in MiB', positiveInt, SERVE_DEFAULTS.maxUploadMb))
    .option('--map-dataset <spec>', "dataset of the embedding map (default: the bundle's training dataset; its test split)")
    .addOption(optionWithDefault('--map-points <n>', 'points of the embedding map', positiveInt, SERVE_DEFAULTS.mapPoints))
    .option('--no-map', 'no embedding map')
    .action(async (o: ServeCliOptions) => {
      const { createServeApp } = await import('../serve/index.js');
      const bundle = await openModel(o);
      const app = await createServeApp({
        bundle,
        maxUploadBytes: o.maxUploadMb * 1024 * 1024,
        map: o.map ? { dataset: o.mapDataset, count: o.mapPoints } : false,
      });
      const local = LOCAL_HOSTS.includes(o.host);
      if (!local) process.stderr.write(`contrastive serve: warning: binding ${o.host} makes the model and its API reachable from other machines\n`);
      let address: string;
      try {
        address = await app.listen({ port: o.port, host: o.host });
      } catch (err) {
        bundle.network.dispose();
        throw new ContrastiveError('UNSUPPORTED', `serve: cannot listen on ${o.host}:${o.port}: ${(err as Error).message}`, { cause: err });
      }
      process.stdout.write(`contrastive serve: ${bundle.dir} on ${address}/ (Ctrl-C to stop${local ? '' : `, bound to ${o.host}`})\n`);
      const stop = (): void => {
        void app.close().then(() => bundle.network.dispose());
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
