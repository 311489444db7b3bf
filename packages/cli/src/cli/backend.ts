/**
 * `contrastive backend`: prints which TensorFlow.js backend would be used and, on wasm,
 * which engine runs our kernels and why (the native addon built and loaded, or not), the
 * thread plan (what each engine gets from the one thread setting) and, with --json, the
 * dispatch policy (its thresholds, each with its reason and bench).
 */
import type { Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { choices, oneOf, optionWithDefault } from './options.js';
import { say, jsonText } from './output.js';

export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('initialise a TensorFlow.js backend and print which one is in use, and which engine runs the kernels')
    .addOption(optionWithDefault('--backend <name>', choices(BACKEND_CHOICES), oneOf(BACKEND_CHOICES), 'auto' as BackendChoice))
    .option('--json', 'print JSON')
    .action(async (opts: { backend: BackendChoice; json?: boolean }) => {
      const tf = await import('@tensorflow/tfjs');
      const { initBackend, convEngine, matMulEngine, threadPlan, dispatchPolicy } = await import('@contrastive/node/internal/engine/index.js');
      const name = await initBackend(opts.backend);
      const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined;
      // Our kernels run on the wasm backend only; elsewhere TF.js's own kernels do.
      const kernels = name === 'wasm' ? { conv: convEngine(), matmul: matMulEngine(), threads: threadPlan(), dispatch: dispatchPolicy() } : null;
      if (opts.json) {
        process.stdout.write(jsonText({ backend: name, simd, kernels }) + '\n');
        return;
      }
      const lines = [`backend: ${name}${simd === undefined ? '' : simd ? ' (SIMD)' : ' (no SIMD)'}`];
      if (kernels) {
        const { conv, matmul, threads } = kernels;
        lines.push(`convolution kernels: ${conv.engine === 'native' ? `native addon (${conv.isa})` : `wasm (${conv.reason})`}`);
        lines.push(`dense matmul: ${matmul.engine === 'onnxruntime' ? `onnxruntime (${matmul.threads} threads)` : `wasm (${matmul.reason})`}`);
        lines.push(`threads: ${threads.threads} (${threads.source}): helper thread ${threads.helper}, native addon ${threads.native}, onnxruntime ${threads.onnxruntime}, wasm backend ${threads.wasmBackend}`);
        lines.push('dispatch policy: its thresholds and their reasons with --json (kernels.dispatch)');
      } else {
        lines.push(`kernels: TF.js's own on ${name} (ours run on wasm)`);
      }
      say(lines.join('\n') + '\n');
    });
}
