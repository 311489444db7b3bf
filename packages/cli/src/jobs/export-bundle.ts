/**
 * Export of a saved bundle (`contrastive export`): a self-contained copy for
 * serving (model.json, weights.bin, manifest.json, as a browser loads them)
 * and/or `model.onnx` for onnxruntime, each checked by loading it back.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { writeDirAtomic } from 'contrastive/internal/util/atomic.js';
import { prepareOutputDir, refuseExistingOutput } from '@contrastive/node/internal/util/output-dir.js';
import { loadBundle } from '@contrastive/node/internal/models/bundle.js';
import { exportBundleOnnx, BUNDLE_ONNX_FILE } from '@contrastive/node/internal/export/bundle-onnx.js';

/** Options of {@link exportBundle}. @group Export */
export interface ExportBundleOptions {
  /** Write model.onnx (the encoder with the bundle's L2 normalisation). */
  onnx?: boolean;
  /** Copy the bundle to this folder (with model.onnx when `onnx`); default: write model.onnx into the bundle itself. */
  out?: string;
  /** Replace an `out` that already holds files. */
  force?: boolean;
}

/** What {@link exportBundle} wrote. @group Export */
export interface ExportBundleResult {
  dir: string;
  files: string[];
}

const FN = 'export';

/**
 * Exports the bundle in `dir`. With `out`, the bundle's files are copied there
 * as one atomic folder (plus model.onnx with `onnx`); without it, `onnx` adds
 * model.onnx inside the bundle. The bundle is loaded first, so a damaged one
 * fails before anything is written.
 *
 * @throws ContrastiveError when there is nothing to do, `out` holds anything (without `force`), `out` is,
 *   lies inside or holds the bundle (even with `force`), or the bundle is damaged.
 * @group Export
 */
export async function exportBundle(dir: string, options: ExportBundleOptions): Promise<ExportBundleResult> {
  if (!options.onnx && options.out === undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${FN}: nothing to export: pass --onnx (adds ${BUNDLE_ONNX_FILE}) and/or --out DIR (a copy to serve)`);
  const { network, manifest } = await loadBundle(dir);
  network.dispose();
  if (options.out === undefined) {
    const file = await exportBundleOnnx(dir);
    return { dir, files: [path.basename(file)] };
  }
  const out = path.resolve(options.out);
  await refuseExistingOutput(out, options.out, { fn: FN, force: options.force, replaces: true, inputs: [{ path: dir, what: 'the bundle' }] });
  await prepareOutputDir(path.dirname(out), `{ out: ${options.out} }`);
  const names = ['manifest.json', manifest.files.model, manifest.files.weights];
  await writeDirAtomic(out, async (tmp) => {
    for (const name of names) await fs.copyFile(path.join(dir, name), path.join(tmp, name));
    if (options.onnx) await exportBundleOnnx(dir, path.join(tmp, BUNDLE_ONNX_FILE));
  });
  return { dir: out, files: options.onnx ? [...names, BUNDLE_ONNX_FILE] : names };
}
