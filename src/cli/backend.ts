/** `contrastive backend`: prints which TensorFlow.js backend would be used. */
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../engine/backend.js';

export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('initialise a TensorFlow.js backend and print which one is in use')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print JSON')
    .action(async (opts: { backend: BackendChoice; json?: boolean }) => {
      const name = await initBackend(opts.backend);
      const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;
      if (opts.json) process.stdout.write(JSON.stringify({ backend: name, simd }) + '\n');
      else process.stdout.write(`backend: ${name}${simd === undefined ? '' : simd ? ' (SIMD)' : ' (no SIMD)'}\n`);
    });
}
