/** `contrastive backend`: prints which TensorFlow.js backend would be used. */
import type { Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { choices, oneOf, optionWithDefault } from './options.js';

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
      // On wasm, our kernels run the convolutions (natively where @contrastive/kernels-native is
      // built) and the dense matmuls (on onnxruntime-node where it is installed): say which, and
      // why not the faster one, so that a missing optional package is visible.
      let engines: { conv: { engine: string; reason: string }; matmul: { engine: string; reason: string } } | undefined;
      if (name === 'wasm') {
        const { convEngine, matMulEngine } = await import('@contrastive/kernels');
        const conv = convEngine();
        const matmul = matMulEngine();
        engines = {
          conv: { engine: conv.engine === 'native' ? `native (${conv.isa})` : 'wasm', reason: conv.reason ?? '' },
          matmul: { engine: matmul.engine, reason: matmul.reason },
        };
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ backend: name, simd, ...(engines && { kernels: engines }) }) + '\n');
        return;
      }
      process.stdout.write(`backend: ${name}${simd === undefined ? '' : simd ? ' (SIMD)' : ' (no SIMD)'}\n`);
      if (engines) {
        for (const [what, e] of [['convolutions', engines.conv], ['dense matmuls', engines.matmul]] as const) {
          process.stdout.write(`${what}: ${e.engine}${e.reason ? ` - ${e.reason}` : ''}\n`);
        }
      }
    });
}
