/**
 * Where a network's embedding is read: the encoder's final output, the layer
 * under its head, or any named layer pooled to a vector. On classes never seen
 * in training the layer under a projection head often separates better than the
 * head's output (the head specialises to the training classes), so the read-out
 * is a choice made on validation and recorded in the bundle.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError, check } from '../errors.js';

/** How a feature map becomes one vector per example. @group Encoders */
export const READOUT_POOLS = ['flatten', 'avg', 'max'] as const;
/** One of {@link READOUT_POOLS}: flatten every value, or average / take the maximum over the spatial (or time) axes. @group Encoders */
export type ReadoutPool = (typeof READOUT_POOLS)[number];

/** The read-out of the encoder's own output (the default). @group Encoders */
export const OUTPUT_READOUT = 'output';
/** The read-out of the input of the encoder's head (see {@link readoutTensor}). @group Encoders */
export const UNDER_HEAD_READOUT = 'under-head';

/**
 * Where embeddings are read.
 * @group Encoders
 */
export interface Readout {
  /**
   * 'output' (the encoder's output, the default), 'under-head' (the input of the
   * encoder's head: its trailing run of dense layers after the last layer with
   * weights that is not dense, e.g. the conv block of a cnn; in an all-dense
   * encoder the last dense layer alone), or a layer's name (its output).
   */
  layer: string;
  /** How a feature map [N, h, w, c] or a sequence [N, t, f] becomes a vector: 'flatten' (default), 'avg' or 'max'. A vector stays as it is. */
  pool?: ReadoutPool;
}

/**
 * Throws a ContrastiveError naming the problem unless `r` is a {@link Readout}.
 * @group Encoders
 */
export function checkReadout(r: unknown, fn = 'readout'): asserts r is Readout {
  const o = r as Partial<Readout> | null;
  check(o !== null && typeof o === 'object' && typeof o.layer === 'string' && o.layer.length > 0, fn, `a read-out must be { layer, pool? }, got ${JSON.stringify(r)}`);
  check(o.pool === undefined || (READOUT_POOLS as readonly string[]).includes(o.pool), fn, `unknown pooling '${String(o.pool)}' in read-out '${o.layer}' (expected ${READOUT_POOLS.join(', ')})`);
}

/** The default read-out: the encoder's output. @group Encoders */
export const DEFAULT_READOUT: Readout = { layer: OUTPUT_READOUT };

/**
 * A read-out as text: 'output', 'under-head', 'NAME' or 'NAME:POOL' (e.g.
 * 'conv2d_2:avg'); `readoutName(parseReadout(s))` gives `s` back.
 * @group Encoders
 */
export function parseReadout(text: string): Readout {
  check(typeof text === 'string' && text.length > 0, 'readout', `a read-out must be 'output', 'under-head', a layer name or NAME:POOL, got ${JSON.stringify(text)}`);
  const at = text.lastIndexOf(':');
  if (at < 0) return { layer: text };
  const pool = text.slice(at + 1);
  check((READOUT_POOLS as readonly string[]).includes(pool), 'readout', `unknown pooling '${pool}' in read-out '${text}' (expected ${READOUT_POOLS.join(', ')})`);
  check(at > 0, 'readout', `read-out '${text}' names no layer before ':${pool}'`);
  return { layer: text.slice(0, at), pool: pool as ReadoutPool };
}

/** The text form of a read-out (see {@link parseReadout}). @group Encoders */
export function readoutName(r: Readout): string {
  return r.pool && r.pool !== 'flatten' ? `${r.layer}:${r.pool}` : r.layer;
}

const HEAD_LAYER_CLASSES = new Set(['Dense', 'Dropout', 'Activation', 'BatchNormalization', 'LayerNormalization']);

/** Index in `model.layers` of the first layer of the head (see {@link Readout.layer}). */
function headStart(model: tf.LayersModel): number {
  const layers = model.layers;
  let i = layers.length;
  while (i > 0 && HEAD_LAYER_CLASSES.has(layers[i - 1].getClassName())) i--;
  // Nothing with weights below the dense run (an input, a flatten): the encoder is all dense.
  const reachedInput = layers.slice(0, i).every((l) => l.weights.length === 0);
  if (reachedInput) {
    // All dense: the head is the last dense layer.
    let last = layers.length - 1;
    while (last >= 0 && layers[last].getClassName() !== 'Dense') last--;
    return last;
  }
  return i;
}

/**
 * The symbolic tensor a read-out reads in `model` (before pooling), or null for
 * the model's own output.
 * @throws ContrastiveError naming the layers when the layer does not exist or the
 *   model has nothing under its head.
 * @group Encoders
 */
export function readoutTensor(model: tf.LayersModel, readout: Readout): tf.SymbolicTensor | null {
  const fn = 'readout';
  checkReadout(readout, fn);
  if (readout.layer === OUTPUT_READOUT) return null;
  if (readout.layer === UNDER_HEAD_READOUT) {
    const start = headStart(model);
    const first = start >= 0 ? model.layers[start] : undefined;
    const input = first?.input as tf.SymbolicTensor | tf.SymbolicTensor[] | undefined;
    const t = Array.isArray(input) ? input[0] : input;
    if (!t || t.sourceLayer?.getClassName() === 'InputLayer' || model.layers.slice(0, start).every((l) => l.weights.length === 0)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: '${model.name}' has no layer under its head (its head reads the input itself); read 'output' or a named layer`);
    }
    return t;
  }
  const layer = model.layers.find((l) => l.name === readout.layer);
  if (!layer) {
    const names = model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name);
    throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: '${model.name}' has no layer '${readout.layer}' (its layers: ${names.join(', ')}; or 'output', 'under-head')`);
  }
  check(layer.inboundNodes.length === 1, fn, `layer '${readout.layer}' is used ${layer.inboundNodes.length} times in '${model.name}'; a read-out needs a layer used once`);
  return layer.output as tf.SymbolicTensor;
}

/** Pools a symbolic [N, ...] tensor to [N, d] with `pool`. */
function pooled(t: tf.SymbolicTensor, pool: ReadoutPool): tf.SymbolicTensor {
  const rank = t.shape.length;
  if (rank === 2) return t;
  if (pool === 'flatten') return tf.layers.flatten().apply(t) as tf.SymbolicTensor;
  if (rank === 4) return (pool === 'avg' ? tf.layers.globalAveragePooling2d({}) : tf.layers.globalMaxPooling2d({})).apply(t) as tf.SymbolicTensor;
  check(rank === 3, 'readout', `cannot pool a read-out of shape ${JSON.stringify(t.shape)} with '${pool}' (only [N, t, f] and [N, h, w, c])`);
  return (pool === 'avg' ? tf.layers.globalAveragePooling1d({}) : tf.layers.globalMaxPooling1d({})).apply(t) as tf.SymbolicTensor;
}

/** A read-out resolved against one model: the model that computes it and where it reads. @group Encoders */
export interface ResolvedReadout {
  /** The read-out as asked for. */
  readout: Readout;
  /** The layer read (its name; 'output' for the model's output). */
  layer: string;
  /** Size of the pooled vector. */
  dim: number;
  /** input -> read-out vector [N, dim], sharing the encoder's layers and weights. */
  model: tf.LayersModel;
}

/**
 * Resolves `readout` against `model`: a model from the same input to the read-out
 * layer, pooled to [N, dim]. Shares the encoder's layers (and so its weights and
 * training): do not dispose it separately.
 * @group Encoders
 */
export function resolveReadout(model: tf.LayersModel, readout: Readout = DEFAULT_READOUT): ResolvedReadout {
  const t = readoutTensor(model, readout);
  if (t === null) {
    return { readout: { layer: OUTPUT_READOUT }, layer: OUTPUT_READOUT, dim: model.outputs[0].shape[1] as number, model };
  }
  const out = pooled(t, readout.pool ?? 'flatten');
  const dim = out.shape[1];
  check(out.shape.length === 2 && typeof dim === 'number' && dim > 0, 'readout', `read-out '${readoutName(readout)}' gives shape ${JSON.stringify(out.shape)}, not [N, d]: pool it ('avg' or 'max')`);
  const layer = t.sourceLayer.name;
  return { readout: { ...readout }, layer, dim: dim as number, model: tf.model({ inputs: model.inputs, outputs: out, name: `${model.name}_readout` }) };
}

/**
 * The read-outs worth comparing on validation for `model`: its output, the layer
 * under its head, and for a conv encoder the last conv block's feature map
 * averaged and maxed over space (when that block is not already the layer under
 * the head). Names only: what `--readout auto` tries.
 * @group Encoders
 */
export function readoutCandidates(model: tf.LayersModel): Readout[] {
  const out: Readout[] = [{ layer: OUTPUT_READOUT }];
  let under: tf.SymbolicTensor | null = null;
  try {
    under = readoutTensor(model, { layer: UNDER_HEAD_READOUT });
    out.push({ layer: UNDER_HEAD_READOUT });
  } catch {
    // an encoder with nothing under its head has the output only
  }
  // The last 4-d feature map at or under the head's input: pooled over space it is far smaller than flattened.
  const maps = model.layers.filter((l) => {
    const s = (l.output as tf.SymbolicTensor).shape;
    return !Array.isArray(l.output) && s.length === 4 && l.getClassName() !== 'InputLayer';
  });
  const lastMap = maps[maps.length - 1];
  if (lastMap && under) {
    out.push({ layer: lastMap.name, pool: 'avg' }, { layer: lastMap.name, pool: 'max' });
  }
  return out;
}
