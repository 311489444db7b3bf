/**
 * The model bundle: one directory holding everything needed to use a trained
 * Siamese network, written atomically.
 *
 *     model.json     TF.js layers-model topology + weights manifest (tf.loadLayersModel)
 *     weights.bin    the encoder's weights
 *     manifest.json  {@link BundleManifest}: input, preprocessing, embedding, distance,
 *                    loss, threshold, calibration, training summary, metrics
 *
 * The model files are the standard TF.js format, so a browser loads the encoder
 * with `tf.loadLayersModel('<url>/model.json')` and reads manifest.json beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { absoluteDatasetSpec } from '../data/specs.js';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { writeDirAtomic, writeFileAtomic, recoverDirAtomic } from 'contrastive/internal/util/atomic.js';
import { VERSION } from 'contrastive/internal/version.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  bundleManifestSchema,
  type BundleManifest,
  type Preprocessing,
} from 'contrastive/internal/models/manifest.js';
import type { BackboneRecord } from 'contrastive/internal/models/backbone-record.js';
import { SiameseNetwork, type NetworkCalibration } from 'contrastive/internal/models/siamese-network.js';
import { ensureBackend } from '../engine/backend.js';
import { safeParseWith } from 'contrastive/internal/models/validate.js';
import { readUserFile, readUserText, USER_FILE_LIMITS } from '../util/user-file.js';

const MANIFEST_FILE = 'manifest.json';
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const COHORT_FILE = 'cohort.bin';

/** What {@link saveBundle} cannot read off the network itself. Every field is optional. @group Bundles */
export interface BundleInfo {
  /** How raw inputs are prepared; default inferred from the input shape (image for [h, w, c], sequence for [null or length, f], else vector). */
  preprocessing?: Preprocessing;
  /** The training loss (name, convention, margin); default what trainSiamese recorded on the network, else null. */
  loss?: BundleManifest['loss'];
  /**
   * Decision threshold on the distance. Default: the one trainSiamese calibrated on the
   * validation split (`network.calibration`: best accuracy on its held-out pairs), else
   * null (not calibrated: the bundle embeds but cannot verify).
   */
  threshold?: number | null;
  /** How the threshold was calibrated; default `network.calibration`'s when the threshold is the network's, else null. */
  calibration?: BundleManifest['calibration'];
  /** Training summary (dataset, epochs, seed, ...); default null. */
  training?: BundleManifest['training'];
  /** Free-form evaluation figures; default {}. */
  metrics?: Record<string, unknown>;
  /** The pretrained backbone under the head (`backboneEncoder(...).record`); default none. */
  backbone?: BackboneRecord | null;
  /**
   * Cohort S-norm (`sNormScores`): the threshold applies to a pair's S-normalised
   * score against these cohort embeddings (rows of the network's embedding size),
   * written beside the weights as cohort.bin. Default none: the threshold applies to the distance.
   */
  cohort?: { embeddings: Float32Array; dataset?: string };
}

/** Fields {@link updateManifest} may change; `metrics` is merged key by key, the others replaced. @group Bundles */
export type ManifestPatch = Partial<Pick<BundleManifest, 'loss' | 'threshold' | 'calibration' | 'training' | 'metrics'>> & {
  preprocessing?: Preprocessing;
};

function defaultPreprocessing(shape: (number | null)[]): Preprocessing {
  if (shape.length === 3 && shape.every((d) => d !== null)) {
    const [height, width, channels] = shape as number[];
    // Every loader gives pixel / 255, so a network trained on their data takes 8-bit pixels scaled by 1/255.
    return { kind: 'image', width, height, channels, scale: 1 / 255, mean: 0, std: 1 };
  }
  if (shape.length === 2 && shape[1] !== null) {
    return { kind: 'sequence', features: shape[1], normalize: 'none' };
  }
  return { kind: 'vector' };
}

/** Preprocessing must describe inputs of the shape the model takes. */
function preprocessingMismatch(p: Preprocessing, shape: (number | null)[]): string | null {
  if (p.kind === 'image') {
    const want = [p.height, p.width, p.channels];
    if (!(shape.length === 3 && shape.every((d, i) => d === want[i]))) {
      return `image preprocessing ${p.height}x${p.width}x${p.channels} does not match input shape ${JSON.stringify(shape)}`;
    }
    for (const [name, v] of [['mean', p.mean], ['std', p.std]] as const) {
      if (Array.isArray(v) && v.length !== p.channels) return `image preprocessing ${name} has ${v.length} values for ${p.channels} channels`;
    }
    if ((Array.isArray(p.std) ? p.std : [p.std]).some((s) => s === 0)) return 'image preprocessing std must not be 0';
  }
  if (p.kind === 'sequence' && shape[shape.length - 1] !== p.features) {
    return `sequence preprocessing has ${p.features} features but input shape is ${JSON.stringify(shape)}`;
  }
  return null;
}

/** manifest.calibration for a threshold trainSiamese calibrated. */
function calibrationOf(c: NetworkCalibration): NonNullable<BundleManifest['calibration']> {
  return { target: c.target, dataset: c.dataset, probability: { ...c.probability }, accuracy: c.accuracy, pairs: c.pairs };
}

/** A training record's dataset as an absolute spec: a bundle on disk must name its data wherever it is read from. */
function absoluteTraining<T extends { dataset?: string } | null>(training: T): T {
  return training?.dataset ? { ...training, dataset: absoluteDatasetSpec(training.dataset) } : training;
}

/**
 * Saves `network` as a bundle directory `dir` (created, or replaced as a whole:
 * a crash leaves either the old or the new complete bundle). After `trainSiamese`
 * with a validation split, the bundle records the threshold calibrated on it (and
 * p(same | d)), so it verifies pairs as a `contrastive train` bundle does; without
 * one, pass `info.threshold` (e.g. from `calibrateThreshold`) or calibrate later.
 *
 * @returns the manifest written.
 * @example
 * ```ts
 * import { SiameseNetwork, mlpEncoder } from 'contrastive';
 * import { initBackend, saveBundle, loadBundle } from '@contrastive/node';
 *
 * await initBackend();
 * const net = new SiameseNetwork(mlpEncoder({ inputShape: [4], hidden: [8], embeddingDim: 2, seed: 1 }), { normalize: true });
 * await saveBundle('my-bundle', net, { threshold: 0.5 });
 * const { network, manifest } = await loadBundle('my-bundle');
 * console.log(network.embeddingDim, manifest.threshold); // 2 0.5
 * ```
 * @group Bundles
 */
export async function saveBundle(dir: string, network: SiameseNetwork, info: BundleInfo = {}): Promise<BundleManifest> {
  const fn = 'saveBundle';
  if (!(network instanceof SiameseNetwork)) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: network must be a SiameseNetwork`);
  const shape = network.inputShape;
  // The trainer's threshold, unless info gives one (a threshold of its own, or null for none).
  const trained = info.threshold === undefined ? network.calibration : null;
  const candidate = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    libraryVersion: VERSION,
    createdAt: new Date().toISOString(),
    files: { model: MODEL_FILE, weights: WEIGHTS_FILE },
    input: { shape, preprocessing: info.preprocessing ?? defaultPreprocessing(shape) },
    embedding: { dim: network.embeddingDim, normalize: network.normalize, distance: network.distanceName },
    // Read at a layer under the output: named as model.json names it, so any loader finds it.
    ...(network.readoutLayer !== 'output'
      ? { readout: { layer: network.readoutLayer, ...(network.readout.pool ? { pool: network.readout.pool } : {}), outputDim: network.outputDim } }
      : {}),
    encoder: network.encoderSpec,
    ...(info.backbone ? { backbone: info.backbone } : {}),
    // What trainSiamese recorded on the network, unless info says otherwise: a bundle saved the library way says what it was trained on.
    loss:
      info.loss ??
      (network.training
        ? { name: network.training.loss, convention: 'hadsell', margin: network.training.margin, ...(trained?.head ? { head: trained.head } : {}) }
        : null),
    threshold: info.threshold ?? trained?.threshold ?? null,
    ...(info.cohort ? { scoreNorm: { kind: 's-norm' as const, file: COHORT_FILE, size: cohortRows(info.cohort.embeddings, network.embeddingDim, fn), ...(info.cohort.dataset ? { dataset: info.cohort.dataset } : {}) } } : {}),
    calibration: info.calibration ?? (trained ? calibrationOf(trained) : null),
    training: absoluteTraining(info.training ?? network.training ?? null),
    metrics: info.metrics ?? {},
  };
  const parsed = safeParseWith(bundleManifestSchema, candidate);
  if (!parsed.ok) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: info is invalid: ${parsed.problems}`);
  const manifest = parsed.value;
  const mismatch = preprocessingMismatch(manifest.input.preprocessing, shape);
  if (mismatch) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: info.preprocessing: ${mismatch}`);

  // model.save with a custom handler yields the standard artifacts without tfjs-node's file:// handler.
  let artifacts: tf.io.ModelArtifacts | undefined;
  await network.encoder.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts?.weightSpecs || artifacts.weightData === undefined) {
    throw new ContrastiveError('STATE', `${fn}: the encoder produced no weights to save`);
  }
  // The layout tf.io's own file/http handlers write (tf.io does not export its helper).
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
  };
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));

  await writeDirAtomic(dir, async (tmp) => {
    await fs.writeFile(path.join(tmp, MODEL_FILE), JSON.stringify(modelJson));
    await fs.writeFile(path.join(tmp, WEIGHTS_FILE), weights);
    if (info.cohort) await fs.writeFile(path.join(tmp, COHORT_FILE), littleEndianBytes(info.cohort.embeddings));
    await fs.writeFile(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  });
  return manifest;
}

/** Rows of a cohort of `dim`-d embeddings; a ContrastiveError for anything else. */
function cohortRows(x: Float32Array, dim: number, fn: string): number {
  const ok = x instanceof Float32Array && x.length % dim === 0 && x.length >= 2 * dim && x.every((v) => Number.isFinite(v));
  if (!ok) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: info.cohort.embeddings must be a Float32Array of at least 2 finite rows of ${dim} values (the embedding size)`);
  return x.length / dim;
}

function littleEndianBytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat32(i * 4, x[i], true);
  return out;
}

/**
 * The cohort embeddings of a bundle whose manifest has `scoreNorm` (rows of
 * `embedding.dim` values), or null for a bundle without score normalisation.
 *
 * @throws ContrastiveError when the cohort file is missing, or its size is not
 *   the manifest's rows times the embedding size, or it holds a non-finite value.
 * @group Bundles
 */
export async function readBundleCohort(dir: string, manifest: BundleManifest): Promise<Float32Array | null> {
  const fn = 'readBundleCohort';
  const norm = manifest.scoreNorm;
  if (!norm) return null;
  const file = bundleFile(dir, norm.file, fn, path.join(dir, MANIFEST_FILE));
  let bytes: Uint8Array;
  try {
    bytes = await readUserFile(file, { maxBytes: USER_FILE_LIMITS.large, what: 'cohort file', fn });
  } catch (err) {
    if (err instanceof ContrastiveError && err.code === 'NOT_FOUND') throw new ContrastiveError('NOT_FOUND', `${fn}: cohort file ${file} is missing (manifest.json's scoreNorm names it)`, { cause: err });
    throw err;
  }
  const want = norm.size * manifest.embedding.dim * 4;
  if (bytes.byteLength !== want) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: cohort file ${file} has ${bytes.byteLength} bytes; manifest.json describes ${norm.size} rows of ${manifest.embedding.dim} float32 (${want} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(norm.size * manifest.embedding.dim);
  for (let i = 0; i < out.length; i++) {
    out[i] = view.getFloat32(i * 4, true);
    if (!Number.isFinite(out[i])) throw new ContrastiveError('INVALID_DATA', `${fn}: cohort file ${file} holds a non-finite value at row ${Math.floor(i / manifest.embedding.dim)}`);
  }
  return out;
}

async function readJson(file: string, fn: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readUserText(file, { maxBytes: USER_FILE_LIMITS.json, what: 'bundle file', fn });
  } catch (err) {
    if (err instanceof ContrastiveError && err.code === 'NOT_FOUND') {
      const dir = path.dirname(file);
      const kind = await fs.stat(dir).then((s) => (s.isDirectory() ? 'folder' : 'other'), () => 'none');
      throw new ContrastiveError(
        'NOT_FOUND',
        kind === 'folder' ? `${fn}: ${file} is missing (${what})` : kind === 'other' ? `${fn}: ${dir} is not a bundle directory (not a folder)` : `${fn}: bundle directory ${dir} does not exist`,
        { cause: err },
      );
    }
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

async function readManifestFor(dir: string, fn: string): Promise<BundleManifest> {
  await recoverDirAtomic(dir);
  const file = path.join(dir, MANIFEST_FILE);
  const raw = await readJson(file, fn, 'every bundle has a manifest.json');
  const head = (typeof raw === 'object' && raw !== null ? raw : {}) as { format?: unknown; formatVersion?: unknown };
  if (head.format !== BUNDLE_FORMAT) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} has unknown format ${JSON.stringify(head.format)} (expected '${BUNDLE_FORMAT}')`);
  }
  // Checked before the schema, so a newer bundle says "upgrade" rather than listing fields it does not know.
  if (typeof head.formatVersion === 'number' && head.formatVersion > BUNDLE_FORMAT_VERSION) {
    throw new ContrastiveError(
      'UNSUPPORTED',
      `${fn}: ${file} has formatVersion ${head.formatVersion}, newer than this library reads (contrastive ${VERSION} reads up to ${BUNDLE_FORMAT_VERSION}); upgrade contrastive`,
    );
  }
  const parsed = safeParseWith(bundleManifestSchema, raw);
  if (!parsed.ok) throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} failed validation: ${parsed.problems}`);
  const mismatch = preprocessingMismatch(parsed.value.input.preprocessing, parsed.value.input.shape);
  if (mismatch) throw new ContrastiveError('INVALID_DATA', `${fn}: ${file} failed validation: ${mismatch}`);
  return parsed.value;
}

/** Reads and validates a bundle's manifest.json (a ContrastiveError names the file and problem). @group Bundles */
export async function readManifest(dir: string): Promise<BundleManifest> {
  return readManifestFor(dir, 'readManifest');
}

/**
 * Rewrites a bundle's manifest.json atomically with `patch` applied (e.g. the
 * threshold and calibration found by `contrastive calibrate`); the model files
 * are untouched. `metrics` is merged key by key; other fields are replaced.
 *
 * @returns the new manifest.
 * @group Bundles
 */
export async function updateManifest(dir: string, patch: ManifestPatch): Promise<BundleManifest> {
  const fn = 'updateManifest';
  const current = await readManifestFor(dir, fn);
  const { preprocessing, metrics, ...rest } = patch ?? {};
  const next = {
    ...current,
    ...rest,
    input: preprocessing ? { ...current.input, preprocessing } : current.input,
    metrics: { ...current.metrics, ...(metrics ?? {}) },
  };
  const parsed = safeParseWith(bundleManifestSchema, next);
  if (!parsed.ok) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: patch is invalid: ${parsed.problems}`);
  const mismatch = preprocessingMismatch(parsed.value.input.preprocessing, parsed.value.input.shape);
  if (mismatch) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: patch.preprocessing: ${mismatch}`);
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(parsed.value, null, 2) + '\n');
  return parsed.value;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes the weights manifest entries describe (quantised weights take their quantised size). */
function expectedWeightBytes(specs: tf.io.WeightsManifestEntry[], file: string, fn: string): number {
  let total = 0;
  for (const s of specs) {
    const dtype = s.quantization?.dtype ?? s.dtype;
    const bytes = DTYPE_BYTES[dtype];
    if (bytes === undefined) throw new ContrastiveError('INVALID_DATA', `${fn}: ${file}: weight '${s.name}' has unsupported dtype '${dtype}'`);
    total += s.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

/**
 * The first NaN or infinite float32 weight (the layout tf.io concatenates:
 * each spec's values in turn), or null. Quantised and integer weights are
 * finite by construction.
 */
function nonFiniteWeight(specs: readonly tf.io.WeightsManifestEntry[], data: Uint8Array): { name: string; index: number; value: number } | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  for (const s of specs) {
    const dtype = s.quantization?.dtype ?? s.dtype;
    const count = s.shape.reduce((a, b) => a * b, 1);
    if (dtype === 'float32') {
      for (let k = 0; k < count; k++) {
        const v = view.getFloat32(offset + 4 * k, true);
        if (!Number.isFinite(v)) return { name: s.name, index: k, value: v };
      }
    }
    offset += count * (DTYPE_BYTES[dtype] ?? 0);
  }
  return null;
}

/** A file name inside the bundle directory: no path separators, no '..'. */
function bundleFile(dir: string, name: unknown, fn: string, from: string): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || path.basename(name) !== name || name.includes('\\')) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${from} names ${JSON.stringify(name)}, which is not a file inside the bundle`);
  }
  return path.join(dir, name);
}

/**
 * Loads a bundle written by {@link saveBundle}. A missing, non-JSON, invalid,
 * unknown-format or newer-format manifest, a missing or damaged model.json and a
 * missing or truncated weights file each fail with a ContrastiveError naming the file.
 * Where no backend is in use yet (no initBackend call), it initialises the fastest
 * one first, as `initBackend()` does.
 * @group Bundles
 */
export async function loadBundle(dir: string): Promise<{ network: SiameseNetwork; manifest: BundleManifest }> {
  const fn = 'loadBundle';
  const manifest = await readManifestFor(dir, fn);
  const modelFile = bundleFile(dir, manifest.files.model, fn, path.join(dir, MANIFEST_FILE));
  const modelJson = (await readJson(modelFile, fn, 'the model topology named by manifest.json')) as Partial<tf.io.ModelJSON>;
  if (typeof modelJson !== 'object' || modelJson === null || typeof modelJson.modelTopology !== 'object' || !Array.isArray(modelJson.weightsManifest)) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${modelFile} is not a TF.js layers model (needs modelTopology and weightsManifest)`);
  }

  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest) {
    let groupBytes = 0;
    const files: string[] = [];
    for (const name of group.paths ?? []) {
      const file = bundleFile(dir, name, fn, modelFile);
      let data: Uint8Array;
      try {
        data = await readUserFile(file, { maxBytes: USER_FILE_LIMITS.large, what: 'weights file', fn });
      } catch (err) {
        if (err instanceof ContrastiveError && err.code === 'NOT_FOUND') throw new ContrastiveError('NOT_FOUND', `${fn}: weights file ${file} is missing`, { cause: err });
        throw err;
      }
      chunks.push(data);
      files.push(file);
      groupBytes += data.byteLength;
    }
    const want = expectedWeightBytes(group.weights ?? [], modelFile, fn);
    if (groupBytes !== want) {
      const what = groupBytes < want ? 'is truncated' : 'is longer than expected';
      throw new ContrastiveError('INVALID_DATA', `${fn}: weights file ${files.join(', ') || '(none)'} ${what}: ${groupBytes} bytes, ${path.basename(modelFile)} describes ${want}`);
    }
    specs.push(...(group.weights ?? []));
  }
  const weightData = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    weightData.set(c, offset);
    offset += c.byteLength;
  }
  const bad = nonFiniteWeight(specs, weightData);
  if (bad) {
    throw new ContrastiveError(
      'INVALID_DATA',
      `${fn}: the bundle ${dir} holds a non-finite weight (${bad.value} in '${bad.name}' at ${bad.index}): its embeddings would be NaN; retrain it (a diverged run saves such weights) or use another bundle`,
    );
  }

  // Without initBackend TF.js would pick a backend by itself (or fail inside loadLayersModel): initialise the fastest.
  await ensureBackend();
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData: weightData.buffer }),
    );
  } catch (err) {
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${modelFile} could not be loaded as a TF.js layers model: ${(err as Error).message}`, { cause: err });
  }

  const shape = model.inputs[0]?.shape.slice(1) ?? [];
  const outShape = model.outputs[0]?.shape ?? [];
  const problem =
    model.inputs.length !== 1 || model.outputs.length !== 1
      ? `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs (expected 1 and 1)`
      : JSON.stringify(shape) !== JSON.stringify(manifest.input.shape)
        ? `the model's input shape ${JSON.stringify(shape)} differs from manifest input.shape ${JSON.stringify(manifest.input.shape)}`
        : outShape.length !== 2 || outShape[1] !== (manifest.readout?.outputDim ?? manifest.embedding.dim)
          ? `the model's output shape ${JSON.stringify(outShape)} differs from manifest ${manifest.readout ? `readout.outputDim ${manifest.readout.outputDim}` : `embedding.dim ${manifest.embedding.dim}`}`
          : null;
  if (problem) {
    model.dispose();
    throw new ContrastiveError('INVALID_DATA', `${fn}: ${modelFile}: ${problem}`);
  }
  let network: SiameseNetwork;
  try {
    network = new SiameseNetwork(model, {
      distance: manifest.embedding.distance,
      normalize: manifest.embedding.normalize,
      spec: manifest.encoder,
      ...(manifest.readout ? { readout: { layer: manifest.readout.layer, pool: manifest.readout.pool } } : {}),
    });
  } catch (err) {
    model.dispose();
    throw new ContrastiveError('INVALID_DATA', `${fn}: manifest readout: ${(err as Error).message}`, { cause: err });
  }
  if (network.embeddingDim !== manifest.embedding.dim) {
    network.dispose();
    throw new ContrastiveError('INVALID_DATA', `${fn}: the read-out at '${network.readoutLayer}' gives ${network.embeddingDim} values per example but manifest embedding.dim is ${manifest.embedding.dim}`);
  }
  return { network, manifest };
}
