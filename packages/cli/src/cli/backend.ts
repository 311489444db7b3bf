/** `contrastive backend`: prints which TensorFlow.js backend would be used. */
import type { Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { choices, oneOf, optionWithDefault } from './options.js';
import { say, jsonText } from './output.js';

export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('initialise a TensorFlow.js backend and print which one is in use')
    .addOption(optionWithDefault('--backend <name>', choices(BACKEND_CHOICES), oneOf(BACKEND_CHOICES), 'auto' as BackendChoice))
    .option('--json', 'print JSON')
    .action(async (opts: { backend: BackendChoice; json?: boolean }) => {
      const tf = await import('@tensorflow/tfjs');
      const { initBackend } = await import('@contrastive/node/internal/engine/backend.js');
      const name = await initBackend(opts.backend);
      const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;
      if (opts.json) process.stdout.write(jsonText({ backend: name, simd }) + '\n');
      else say(`backend: ${name}${simd === undefined ? '' : simd ? ' (SIMD)' : ' (no SIMD)'}\n`);
    });
}
