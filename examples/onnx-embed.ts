/**
 * Export a trained encoder to ONNX and embed with onnxruntime-node (several
 * times faster than TF.js for inference). model.onnx holds the encoder only:
 * L2 normalisation (and the bundle's input scaling) are applied outside it, as
 * the bundle's manifest says.
 *
 *   node --conditions=contrastive-source --import tsx examples/onnx-embed.ts
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initBackend, loadDataset, exportBundleOnnx, OnnxEmbedder, saveBundle } from '@contrastive/node';
import { splitDataset, mlpEncoder, SiameseNetwork, trainSiamese } from 'contrastive';

await initBackend('wasm');
const data = await loadDataset('mnist');
const { train, validation, test } = splitDataset(data, { seed: 1 });
const net = new SiameseNetwork(mlpEncoder({ inputShape: data.inputShape, hidden: [128], embeddingDim: 32, seed: 1 }), { normalize: true });
await trainSiamese(net, { train, validation }, { margin: 0.5, epochs: 1, pairsPerEpoch: 1024, validationPairs: 2000, seed: 1 });

const bundle = path.join(await mkdtemp(path.join(os.tmpdir(), 'onnx-example-')), 'model');
await saveBundle(bundle, net);
const onnxFile = await exportBundleOnnx(bundle);
const embedder = await OnnxEmbedder.load(onnxFile);
const n = 256;
const raw = await embedder.embed(test.x.subarray(0, n * 784), n);
// The manifest says normalize: true, so L2-normalise each row as the network does.
const d = net.embeddingDim;
for (let i = 0; i < n; i++) {
  const row = raw.subarray(i * d, (i + 1) * d);
  const norm = Math.hypot(...row);
  for (let k = 0; k < d; k++) row[k] /= norm;
}
const reference = await net.embedBatched(test.x.subarray(0, n * 784));
let maxDiff = 0;
for (let k = 0; k < raw.length; k++) maxDiff = Math.max(maxDiff, Math.abs(raw[k] - reference[k]));
console.log(`wrote ${path.basename(onnxFile)}; ${n} test digits embedded by onnxruntime, max |onnx - tfjs| = ${maxDiff.toExponential(2)}`);
await embedder.dispose();
