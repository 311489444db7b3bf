/** ONNX export of a saved model bundle (src/models): writes `model.onnx` beside the TF.js files. */
import path from 'node:path';
import { check } from 'contrastive/internal/errors.js';
import { loadBundle } from '../models/bundle.js';
import { exportOnnxFile } from './onnx-exporter.js';

/** File name {@link exportBundleOnnx} writes inside the bundle by default. @group ONNX */
export const BUNDLE_ONNX_FILE = 'model.onnx';

/**
 * Exports the encoder of the bundle in `bundleDir` to ONNX, with the bundle's
 * L2 normalisation (manifest `embedding.normalize`) built into the graph, so
 * the ONNX output is what `SiameseNetwork.embed` returns. Preprocessing stays
 * outside (as for the TF.js model). Written atomically.
 *
 * @param outFile where to write (default `<bundleDir>/model.onnx`).
 * @returns the path written.
 * @throws ContrastiveError from loadBundle for a missing or damaged bundle, UNSUPPORTED for a layer with no ONNX translation.
 * @group ONNX
 */
export async function exportBundleOnnx(bundleDir: string, outFile?: string): Promise<string> {
  check(typeof bundleDir === 'string' && bundleDir.length > 0, 'exportBundleOnnx', 'bundleDir must be a non-empty path');
  const { network, manifest } = await loadBundle(bundleDir);
  const file = outFile ?? path.join(bundleDir, BUNDLE_ONNX_FILE);
  try {
    // Exported as embedded: at the bundle's read-out.
    await exportOnnxFile(network.readoutModel, file, {
      l2Normalize: manifest.embedding.normalize,
      docString: `contrastive bundle ${path.basename(path.resolve(bundleDir))}: encoder ${manifest.encoder?.kind ?? 'custom'}, embedding dim ${manifest.embedding.dim}, distance ${manifest.embedding.distance}`,
    });
  } finally {
    network.encoder.dispose();
  }
  return file;
}
