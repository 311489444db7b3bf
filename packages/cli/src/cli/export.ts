/** `contrastive export`: a bundle as ONNX (model.onnx) and/or a self-contained copy to serve. */
import type { Command } from 'commander';
import { MODEL_HELP, resolveModelDir } from './bundle-options.js';
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { choices, oneOf, optionWithDefault } from './options.js';
import { say, jsonText } from './output.js';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export a bundle: model.onnx for onnxruntime (--onnx), and/or a copy of the bundle to serve (--out DIR)')
    .requiredOption('--model <dir>', MODEL_HELP)
    .option('--onnx', 'write model.onnx (the encoder with the bundle\'s L2 normalisation; preprocessing stays in manifest.json)')
    .option('--out <dir>', 'copy the bundle (model.json, weights.bin, manifest.json, and model.onnx with --onnx) to this folder (default: model.onnx goes into the bundle)')
    .option('--force', 'replace an --out that already holds files')
    .addOption(optionWithDefault('--backend <name>', choices(BACKEND_CHOICES), oneOf(BACKEND_CHOICES), 'auto' as BackendChoice))
    .option('--json', 'print one JSON object')
    .action(async (o: { model: string; onnx?: boolean; out?: string; force?: boolean; backend: BackendChoice; json?: boolean }) => {
      // the bundle is loaded on our backend (wasm with our kernels), not on TF.js's default cpu one, which prints a tfjs-node banner
      await (await import('@contrastive/node/internal/engine/backend.js')).initBackend(o.backend);
      const { exportBundle } = await import('../jobs/export-bundle.js');
      const r = await exportBundle(resolveModelDir(o.model), { onnx: o.onnx, out: o.out, force: o.force });
      if (o.json) process.stdout.write(jsonText(r) + '\n');
      else say(`wrote ${r.files.join(', ')} in ${r.dir}\n`);
    });
}
