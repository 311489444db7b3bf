/**
 * Pretrained backbones from disk (Node): a bundle of ours, a TF.js layers model,
 * a TF.js graph model (e.g. a TF Hub / Kaggle MobileNet saved locally) or an ONNX
 * file, with the sha256 of its files so a bundle can say which backbone it used.
 *
 * A layers model becomes part of the trained model (`backboneEncoder`); a graph
 * model or an ONNX file is run as a frozen feature extractor ({@link BackboneFeatures}),
 * and the head is trained on the features it gives.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { ContrastiveError, check } from 'contrastive/internal/errors.js';
import { loadOnnxRuntime } from '@contrastive/kernels';
import type { BackboneFormat, BackbonePixels, BackbonePooling } from 'contrastive/internal/models/backbone-record.js';
import { loadBundle } from './bundle.js';
import { ensureBackend } from '../engine/backend.js';
import { readUserFile, readUserText, USER_FILE_LIMITS } from '../util/user-file.js';

const FN = 'loadBackbone';

/** A backbone read from disk by {@link loadBackbone}. @group Backbones */
export interface LoadedBackbone {
  /** What the files hold. */
  format: BackboneFormat;
  /** The path it was loaded from, absolute. */
  source: string;
  /** sha256 (hex) of its files: model.json then each weights file in manifest order, or the .onnx file. */
  sha256: string;
  /** The model, for 'layers-model' (a bundle's encoder, or model.json of a layers model). */
  layers: tf.LayersModel | null;
  /** The model, for 'graph-model'. */
  graph: tf.GraphModel | null;
  /** The onnxruntime session, for 'onnx'. */
  onnx: Ort.InferenceSession | null;
  /** Frees the model. */
  dispose(): Promise<void>;
}

async function readModelJson(file: string): Promise<{ json: tf.io.ModelJSON; bytes: Buffer[]; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: Uint8Array }> {
  const text = await readUserText(file, { maxBytes: USER_FILE_LIMITS.json, what: 'backbone model.json', fn: FN });
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${FN}: ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new ContrastiveError('INVALID_DATA', `${FN}: ${file} is not a TF.js model.json (needs modelTopology and weightsManifest)`);
  }
  const bytes: Buffer[] = [Buffer.from(text)];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Buffer[] = [];
  const dir = path.dirname(file);
  for (const group of json.weightsManifest) {
    for (const name of group.paths ?? []) {
      // Weight shards sit beside model.json: a name that leaves that folder is refused.
      if (typeof name !== 'string' || name === '' || path.basename(name) !== name) {
        throw new ContrastiveError('INVALID_DATA', `${FN}: ${file} names the weights file ${JSON.stringify(name)}, which is not a file beside it`);
      }
      const data = await readUserFile(path.join(dir, name), { maxBytes: USER_FILE_LIMITS.large, what: 'backbone weights file', fn: FN });
      chunks.push(data);
      bytes.push(data);
    }
    weightSpecs.push(...(group.weights ?? []));
  }
  return { json, bytes, weightSpecs, weightData: new Uint8Array(Buffer.concat(chunks)) };
}

function sha256Of(parts: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/**
 * Loads a backbone from `source`: a bundle directory (its encoder), a directory
 * holding model.json, a model.json file (a TF.js layers or graph model, by its
 * `format`), or an .onnx file (needs onnxruntime-node, an optional peer).
 *
 * @throws ContrastiveError NOT_FOUND for a missing path, INVALID_DATA for files
 *   that are not a model, UNSUPPORTED when onnxruntime-node is not installed.
 * @group Backbones
 */
export async function loadBackbone(source: string): Promise<LoadedBackbone> {
  check(typeof source === 'string' && source.length > 0, FN, 'source must be a path');
  const abs = path.resolve(source);
  const stat = await fs.stat(abs).catch(() => null);
  if (!stat) throw new ContrastiveError('NOT_FOUND', `${FN}: ${source} does not exist (a bundle directory, a model.json or an .onnx file)`);
  const none = { layers: null, graph: null, onnx: null };
  if (stat.isDirectory()) {
    const isBundle = await fs.stat(path.join(abs, 'manifest.json')).then(() => true, () => false);
    if (isBundle) {
      const { network, manifest } = await loadBundle(abs);
      const { bytes } = await readModelJson(path.join(abs, manifest.files.model));
      return { ...none, format: 'layers-model', source: abs, sha256: sha256Of(bytes), layers: network.encoder, dispose: async () => { network.dispose(); } };
    }
    return loadBackbone(path.join(abs, 'model.json'));
  }
  if (abs.toLowerCase().endsWith('.onnx')) {
    const data = await readUserFile(abs, { maxBytes: USER_FILE_LIMITS.large, what: 'ONNX backbone', fn: FN });
    const ort = await loadOnnxRuntime();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(data, { intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    } catch (err) {
      throw new ContrastiveError('INVALID_DATA', `${FN}: onnxruntime rejected ${source}: ${(err as Error).message}`, { cause: err });
    }
    return { ...none, format: 'onnx', source: abs, sha256: sha256Of([data]), onnx: session, dispose: () => session.release() };
  }
  const { json, bytes, weightSpecs, weightData } = await readModelJson(abs);
  await ensureBackend();
  const artifacts: tf.io.ModelArtifacts = { modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer as ArrayBuffer, format: json.format, signature: json.signature, userDefinedMetadata: json.userDefinedMetadata, modelInitializer: json.modelInitializer };
  const sha256 = sha256Of(bytes);
  try {
    if (json.format === 'graph-model') {
      const graph = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
      return { ...none, format: 'graph-model', source: abs, sha256, graph, dispose: async () => { graph.dispose(); } };
    }
    const layers = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    return { ...none, format: 'layers-model', source: abs, sha256, layers, dispose: async () => { layers.dispose(); } };
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${FN}: ${source} could not be loaded as a TF.js ${json.format ?? 'layers-model'}: ${(err as Error).message}`, { cause: err });
  }
}

/** Options of {@link backboneFeatures}. @group Backbones */
export interface BackboneFeaturesOptions {
  /** Shape [height, width, channels] the backbone takes (read off the model when it says). */
  inputShape?: readonly number[];
  /** The output to read: a graph model's node name (e.g. 'StatefulPartitionedCall:0') or an ONNX output name. Default: the model's first output. */
  output?: string;
  /** The pixels the backbone was trained on. Default `{ scale: 1/255, mean: 0, std: 1 }` (what this toolkit's loaders give). */
  pixels?: Partial<BackbonePixels>;
  /** How a feature map becomes a vector: 'flatten' (default), 'avg' or 'max'. */
  pooling?: BackbonePooling;
  /** Input layout of an ONNX model: 'nhwc' (TF.js, our exports; default) or 'nchw' (PyTorch exports). */
  layout?: 'nhwc' | 'nchw';
  /** Images per run (default 64). */
  batchSize?: number;
}

/** A frozen feature extractor over a graph model or an ONNX file. @group Backbones */
export interface BackboneFeatures {
  /** Shape [height, width, channels] of the images it takes (pixel / 255, as the loaders give them). */
  readonly inputShape: [number, number, number];
  /** What features are read at. */
  readonly output: string;
  /** Features of `count` images, row-major `count * dim` floats (dim = features.length / count). */
  features(x: Float32Array, count: number): Promise<Float32Array>;
}

function fixedShape(dims: readonly unknown[] | undefined): number[] | null {
  if (!dims || dims.length !== 4) return null;
  const rest = dims.slice(1);
  return rest.every((d) => typeof d === 'number' && d > 0) ? (rest as number[]) : null;
}

/**
 * A graph model or an ONNX backbone (from {@link loadBackbone}) as a frozen
 * feature extractor: pixels adapted (`(pixel * scale - mean) / std`), the output
 * read, feature maps pooled. Train the head on its features (they are computed
 * once per image), e.g. with `mlpEncoder({ inputShape: [dim] })`.
 * A layers-model backbone goes to `backboneEncoder` instead (it can be fine-tuned).
 * @group Backbones
 */
export function backboneFeatures(backbone: LoadedBackbone, options: BackboneFeaturesOptions = {}): BackboneFeatures {
  const fn = 'backboneFeatures';
  check(backbone.graph !== null || backbone.onnx !== null, fn, `a ${backbone.format} backbone goes to backboneEncoder (it becomes part of the trained model); this takes graph models and ONNX files`);
  const p: BackbonePixels = { scale: 1 / 255, mean: 0, std: 1, ...options.pixels };
  const pooling = options.pooling ?? 'flatten';
  const layout = options.layout ?? 'nhwc';
  const batchSize = options.batchSize ?? 64;
  check(Number.isInteger(batchSize) && batchSize > 0, fn, `options.batchSize must be a positive integer, got ${batchSize}`);
  let declared: number[] | null = null;
  let output: string;
  if (backbone.graph) {
    declared = fixedShape(backbone.graph.inputs[0]?.shape);
    output = options.output ?? backbone.graph.outputNodes[0];
  } else {
    const s = backbone.onnx!;
    const meta = s.inputMetadata?.[0];
    const dims = meta && meta.isTensor ? fixedShape(meta.shape) : null;
    declared = dims && layout === 'nchw' ? [dims[1], dims[2], dims[0]] : dims;
    output = options.output ?? s.outputNames[0];
    check(s.outputNames.includes(output), fn, `the ONNX model has no output '${output}' (its outputs: ${s.outputNames.join(', ')})`);
  }
  const shape = options.inputShape ? [...options.inputShape] : declared;
  check(
    shape !== null && shape.length === 3 && shape.every((d) => Number.isInteger(d) && d > 0),
    fn,
    `the backbone's input size is not fixed in the model: pass options.inputShape [height, width, channels]`,
  );
  const [h, w, c] = shape as [number, number, number];
  const perChannel = (x: number | number[], name: string): number[] => {
    if (Array.isArray(x)) {
      check(x.length === c, fn, `pixels.${name} has ${x.length} values for ${c} channels`);
      return x;
    }
    return Array.from({ length: c }, () => x);
  };
  const mean = perChannel(p.mean, 'mean');
  const std = perChannel(p.std, 'std');
  check(std.every((s) => s !== 0), fn, 'pixels.std must be non-zero');
  const size = h * w * c;

  const pool = (y: tf.Tensor): tf.Tensor2D => {
    if (y.rank === 4 && pooling !== 'flatten') return (pooling === 'avg' ? tf.mean(y, [1, 2]) : tf.max(y, [1, 2])) as tf.Tensor2D;
    return tf.reshape(y, [y.shape[0], -1]);
  };
  const adapt = (x: Float32Array, n: number): tf.Tensor4D =>
    tf.tidy(() => tf.div(tf.sub(tf.mul(tf.tensor4d(x, [n, h, w, c]), 255 * p.scale), tf.tensor1d(mean)), tf.tensor1d(std)) as tf.Tensor4D);

  let ort: Awaited<ReturnType<typeof loadOnnxRuntime>> | undefined;
  return {
    inputShape: [h, w, c],
    output,
    async features(x, count) {
      check(x instanceof Float32Array && Number.isInteger(count) && count > 0 && x.length === count * size, fn, `features: x must hold ${count} images of ${h}x${w}x${c} (${count * size} floats), got ${x.length}`);
      const parts: Float32Array[] = [];
      for (let start = 0; start < count; start += batchSize) {
        const n = Math.min(batchSize, count - start);
        const input = adapt(x.subarray(start * size, (start + n) * size), n);
        try {
          if (backbone.graph) {
            const y = tf.tidy(() => pool(backbone.graph!.execute(input, output) as tf.Tensor));
            parts.push((await y.data()) as Float32Array);
            y.dispose();
          } else {
            const data = layout === 'nchw' ? await tf.tidy(() => tf.transpose(input, [0, 3, 1, 2])).data() : await input.data();
            ort ??= await loadOnnxRuntime();
            const dims = layout === 'nchw' ? [n, c, h, w] : [n, h, w, c];
            const s = backbone.onnx!;
            const result = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', data as Float32Array, dims) }, [output]);
            const y = result[output];
            const t = tf.tensor(y.data as Float32Array, y.dims as number[]);
            const pooled = tf.tidy(() => pool(t));
            parts.push((await pooled.data()) as Float32Array);
            tf.dispose([t, pooled]);
          }
        } finally {
          input.dispose();
        }
      }
      const out = new Float32Array(parts.reduce((a, q) => a + q.length, 0));
      let at = 0;
      for (const q of parts) {
        out.set(q, at);
        at += q.length;
      }
      return out;
    },
  };
}
