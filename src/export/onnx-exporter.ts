/**
 * Export of TF.js layers models (the encoders this project builds) to ONNX,
 * so that onnxruntime can embed at several times the TF.js speed.
 *
 * TF.js is channels-last (NHWC); ONNX Conv and pooling are channels-first
 * (NCHW). Rather than transposing around every layer, each value carries a
 * layout: `perm[i]` is the TF.js (Keras) axis held by ONNX axis i. Conv and
 * pooling want channels first, Dense / Flatten / Reshape want the Keras order,
 * and a Transpose is emitted only where the wanted order differs. The graph's
 * input and output keep the TF.js shapes, so callers feed the same data.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError, check } from '../errors.js';
import { VERSION } from '../version.js';
import { writeFileAtomic } from '../util/atomic.js';
import { encodeOnnxModel, type OnnxAttributeValue, type OnnxNode, type OnnxTensor } from '../onnx/proto.js';

/** ONNX operator set the exporter targets (reductions still take `axes` as an attribute). */
export const ONNX_OPSET = 13;
/** IR version matching opset 13. */
const ONNX_IR_VERSION = 7;
/** Floor under the squared norm of the final L2 normalisation, as in models/l2Normalize. */
const L2_EPSILON = 1e-12;

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /**
   * Appends row-wise L2 normalisation `x / sqrt(max(sum(x^2), 1e-12))` to the
   * output, matching `l2Normalize` of src/models (default false).
   */
  l2Normalize?: boolean;
  /** Name of the graph input (default 'input'). */
  inputName?: string;
  /** Name of the graph output (default 'embedding'). */
  outputName?: string;
  /** Free text stored as the model's doc_string. */
  docString?: string;
}

/** Layer class names {@link exportOnnx} can translate. */
export const ONNX_SUPPORTED_LAYERS: readonly string[] = [
  'InputLayer',
  'Dense',
  'Conv1D',
  'Conv2D',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
  'Dropout',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'BatchNormalization',
  'Rescaling',
];

/** Activation names (TF.js serialised form) {@link exportOnnx} can translate. */
export const ONNX_SUPPORTED_ACTIVATIONS: readonly string[] = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'softmax',
  'logSoftmax',
  'swish',
  'mish',
  'gelu',
];

const FN = 'exportOnnx';

/** A tensor flowing through the graph being built. */
interface Value {
  /** ONNX value name. */
  name: string;
  /** Shape in TF.js (Keras) axis order; null for unknown dims (batch, sequence length). */
  shape: (number | null)[];
  /** perm[i] = the Keras axis held by ONNX axis i (identity = Keras layout). */
  perm: number[];
}

type LayerConfig = Record<string, unknown>;

const identity = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);
const sameArray = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
/** Channels-first order of a Keras channels-last tensor: [0, rank-1, 1, ..., rank-2]. */
const channelsFirst = (rank: number): number[] => [0, rank - 1, ...identity(rank).slice(1, rank - 1)];

function asArray(v: unknown, n: number, what: string, layer: string): number[] {
  const arr = Array.isArray(v) ? (v as number[]) : [v as number];
  if (arr.length === 1 && n > 1) return new Array<number>(n).fill(arr[0]);
  if (arr.length !== n || arr.some((x) => typeof x !== 'number')) {
    throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layer}' has ${what} ${JSON.stringify(v)} (expected ${n} numbers)`);
  }
  return arr;
}

/** Collects nodes and initializers, and hands out unique value names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private used = new Set<string>();

  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.-]/g, '_');
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  floatInit(base: string, dims: number[], data: Float32Array): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims, data });
    return name;
  }

  intInit(base: string, values: number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  }

  /** Adds one node with a single output and returns the output's name. */
  op(opType: string, base: string, inputs: string[], attributes?: Record<string, OnnxAttributeValue>, output?: string): string {
    const out = output ?? this.unique(`${base}/${opType}`);
    this.nodes.push({ opType, name: this.unique(`${base}/${opType}_node`), inputs, outputs: [out], attributes });
    return out;
  }
}

const ints = (value: number[]): OnnxAttributeValue => ({ kind: 'ints', value });
const int = (value: number): OnnxAttributeValue => ({ kind: 'int', value });
const float = (value: number): OnnxAttributeValue => ({ kind: 'float', value });

/** Walks a chain of layers and emits the equivalent ONNX nodes. */
class LayerTranslator {
  constructor(private readonly g: GraphBuilder) {}

  /** Returns `v` with its ONNX axes in the order `target` (a Transpose when they differ). */
  layout(v: Value, target: number[], base: string): Value {
    if (sameArray(v.perm, target)) return v;
    const perm = target.map((axis) => v.perm.indexOf(axis));
    const name = this.g.op('Transpose', base, [v.name], { perm: ints(perm) });
    return { name, shape: v.shape, perm: target.slice() };
  }

  keras(v: Value, base: string): Value {
    return this.layout(v, identity(v.shape.length), base);
  }

  /** Emits the activation `act` (TF.js serialised name) applied elementwise to `v`. */
  activation(v: Value, act: string, base: string): Value {
    const g = this.g;
    const same = (name: string): Value => ({ ...v, name });
    switch (act) {
      case 'linear':
        return v;
      case 'relu':
        return same(g.op('Relu', base, [v.name]));
      case 'relu6':
        return same(g.op('Clip', base, [v.name, g.floatInit(`${base}/min`, [], new Float32Array([0])), g.floatInit(`${base}/max`, [], new Float32Array([6]))]));
      case 'sigmoid':
        return same(g.op('Sigmoid', base, [v.name]));
      case 'hardSigmoid': // TF.js: clip(0.2 x + 0.5, 0, 1), ONNX's defaults
        return same(g.op('HardSigmoid', base, [v.name], { alpha: float(0.2), beta: float(0.5) }));
      case 'tanh':
        return same(g.op('Tanh', base, [v.name]));
      case 'elu':
        return same(g.op('Elu', base, [v.name], { alpha: float(1) }));
      case 'selu':
        return same(g.op('Selu', base, [v.name]));
      case 'softplus':
        return same(g.op('Softplus', base, [v.name]));
      case 'softsign':
        return same(g.op('Softsign', base, [v.name]));
      case 'softmax':
      case 'logSoftmax':
        // Over the last Keras axis, wherever the layout put it.
        return same(g.op(act === 'softmax' ? 'Softmax' : 'LogSoftmax', base, [v.name], { axis: int(v.perm.indexOf(v.shape.length - 1)) }));
      case 'swish':
        return same(g.op('Mul', base, [v.name, g.op('Sigmoid', base, [v.name])]));
      case 'mish': {
        const t = g.op('Tanh', base, [g.op('Softplus', base, [v.name])]);
        return same(g.op('Mul', base, [v.name, t]));
      }
      case 'gelu': {
        // x * 0.5 * (1 + erf(x / sqrt 2)), as TF.js computes it.
        const e = g.op('Erf', base, [g.op('Div', base, [v.name, g.floatInit(`${base}/sqrt2`, [], new Float32Array([Math.SQRT2]))])]);
        const cdf = g.op('Mul', base, [g.op('Add', base, [e, g.floatInit(`${base}/one`, [], new Float32Array([1]))]), g.floatInit(`${base}/half`, [], new Float32Array([0.5]))]);
        return same(g.op('Mul', base, [v.name, cdf]));
      }
      default:
        throw new ContrastiveError('UNSUPPORTED', `${FN}: activation '${act}' of layer '${base}' has no ONNX translation (supported: ${ONNX_SUPPORTED_ACTIVATIONS.join(', ')})`);
    }
  }

  /** Translates every layer of `model` in order, starting from `v`. */
  model(model: tf.LayersModel, v: Value): Value {
    const layers = model.layers;
    let prev: tf.layers.Layer | undefined;
    for (const layer of layers) {
      const cls = layer.getClassName();
      if (cls === 'InputLayer') {
        prev = layer;
        continue;
      }
      if (!(model instanceof tf.Sequential) && prev !== undefined) {
        const chained = layer.inboundNodes.some((n) => n.inboundLayers.length === 1 && n.inboundLayers[0] === prev);
        if (!chained) {
          throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layer.name}' of model '${model.name}' does not take the previous layer's output; only chains of layers can be exported`);
        }
      }
      v = layer instanceof tf.LayersModel ? this.model(layer, v) : this.layer(layer, v);
      prev = layer;
    }
    return v;
  }

  /** Translates one (non-model) layer. */
  layer(layer: tf.layers.Layer, v: Value): Value {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    const base = layer.name;
    const outShape = layer.computeOutputShape(v.shape) as (number | null)[];
    const weights = (): Float32Array[] => layer.getWeights().map((w) => w.dataSync() as Float32Array);
    const rank = v.shape.length;
    switch (cls) {
      case 'Dense': {
        const x = this.keras(v, base);
        const [kernel, bias] = weights();
        const units = cfg.units as number;
        const inDim = kernel.length / units;
        const w = this.g.floatInit(`${base}/kernel`, [inDim, units], kernel);
        const b = bias !== undefined ? this.g.floatInit(`${base}/bias`, [units], bias) : undefined;
        let y: string;
        if (rank === 2) {
          y = this.g.op('Gemm', base, b ? [x.name, w, b] : [x.name, w]);
        } else {
          y = this.g.op('MatMul', base, [x.name, w]);
          if (b) y = this.g.op('Add', base, [y, b]);
        }
        return this.activation({ name: y, shape: outShape, perm: identity(outShape.length) }, cfg.activation as string, base);
      }
      case 'Conv1D':
      case 'Conv2D':
        return this.conv(layer, cfg, v, outShape, cls === 'Conv1D' ? 1 : 2);
      case 'MaxPooling1D':
      case 'MaxPooling2D':
      case 'AveragePooling1D':
      case 'AveragePooling2D':
        return this.pool(layer, cfg, v, outShape, cls.endsWith('1D') ? 1 : 2, cls.startsWith('Max') ? 'MaxPool' : 'AveragePool');
      case 'GlobalAveragePooling1D':
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling1D':
      case 'GlobalMaxPooling2D': {
        // Reduce the spatial Keras axes wherever they sit; batch and channels remain, in Keras order.
        const channelAxis = cfg.dataFormat === 'channelsFirst' ? 1 : rank - 1;
        const spatial = identity(rank).filter((a) => a !== 0 && a !== channelAxis);
        const axes = spatial.map((a) => v.perm.indexOf(a)).sort((a, b) => a - b);
        const y = this.g.op(cls.startsWith('GlobalMax') ? 'ReduceMax' : 'ReduceMean', base, [v.name], { axes: ints(axes), keepdims: int(0) });
        return { name: y, shape: outShape, perm: [0, 1] };
      }
      case 'Flatten': {
        check(rank >= 2, FN, `layer '${base}' (Flatten) got rank ${rank}`);
        // Keras flattens in channels-last order (a channelsFirst Flatten moves channels last first).
        const order = cfg.dataFormat === 'channelsFirst' ? [0, ...identity(rank).slice(2), 1] : identity(rank);
        const x = this.layout(v, order, base);
        return { name: this.g.op('Flatten', base, [x.name], { axis: int(1) }), shape: outShape, perm: [0, 1] };
      }
      case 'Reshape': {
        const x = this.keras(v, base);
        const target = cfg.targetShape as number[];
        const shapeName = this.g.intInit(`${base}/shape`, [0, ...target.map((d) => (d == null ? -1 : d))]);
        return { name: this.g.op('Reshape', base, [x.name, shapeName]), shape: outShape, perm: identity(outShape.length) };
      }
      case 'Activation':
        return this.activation(v, cfg.activation as string, base);
      case 'ReLU': {
        const maxValue = cfg.maxValue as number | null | undefined;
        if (maxValue == null) return this.activation(v, 'relu', base);
        const lo = this.g.floatInit(`${base}/min`, [], new Float32Array([0]));
        const hi = this.g.floatInit(`${base}/max`, [], new Float32Array([maxValue]));
        return { ...v, name: this.g.op('Clip', base, [v.name, lo, hi]) };
      }
      case 'LeakyReLU':
        return { ...v, name: this.g.op('LeakyRelu', base, [v.name], { alpha: float(cfg.alpha as number) }) };
      case 'ELU':
        return { ...v, name: this.g.op('Elu', base, [v.name], { alpha: float(cfg.alpha as number) }) };
      case 'Softmax': {
        const axis = (cfg.axis as number | number[] | undefined) ?? -1;
        const a = Array.isArray(axis) ? axis : [axis];
        check(a.length === 1, FN, `layer '${base}' (Softmax) over several axes is not supported`);
        const kerasAxis = a[0] < 0 ? rank + a[0] : a[0];
        return { ...v, name: this.g.op('Softmax', base, [v.name], { axis: int(v.perm.indexOf(kerasAxis)) }) };
      }
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        return v; // identity at inference
      case 'BatchNormalization':
        return this.batchNorm(layer, cfg, v, weights());
      case 'Rescaling': {
        const scale = this.g.floatInit(`${base}/scale`, [], new Float32Array([cfg.scale as number]));
        const offset = this.g.floatInit(`${base}/offset`, [], new Float32Array([(cfg.offset as number) ?? 0]));
        return { ...v, name: this.g.op('Add', base, [this.g.op('Mul', base, [v.name, scale]), offset]) };
      }
      default:
        throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${base}' of class ${cls} has no ONNX translation (supported: ${ONNX_SUPPORTED_LAYERS.join(', ')})`);
    }
  }

  /** Explicit begin/end pads of TF 'same' padding when the size is known (extra pad at the end, as TF). */
  private samePads(size: (number | null)[], kernel: number[], strides: number[], dilations: number[]): number[] | null {
    const begin: number[] = [];
    const end: number[] = [];
    for (const [i, n] of size.entries()) {
      const eff = (kernel[i] - 1) * dilations[i] + 1;
      // With stride 1 the total is eff - 1 whatever the size; otherwise the size must be known.
      if (n == null && strides[i] !== 1) return null;
      const total = n == null ? eff - 1 : Math.max((Math.ceil(n / strides[i]) - 1) * strides[i] + eff - n, 0);
      begin.push(Math.floor(total / 2));
      end.push(total - Math.floor(total / 2));
    }
    return [...begin, ...end];
  }

  /** Padding attributes for 'valid' / 'same' ('causal' conv1d does not run in TF.js either). */
  private padAttrs(layerName: string, padding: string, size: (number | null)[], kernel: number[], strides: number[], dilations: number[]): Record<string, OnnxAttributeValue> {
    const d = kernel.length;
    if (padding === 'valid') return { pads: ints(new Array<number>(2 * d).fill(0)) };
    if (padding === 'same') {
      const pads = this.samePads(size, kernel, strides, dilations);
      if (pads) return { pads: ints(pads) };
      // Unknown size with strides: SAME_UPPER is TF's rule (extra pad at the end); onnxruntime rejects it with dilation.
      if (dilations.some((d) => d !== 1)) {
        throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layerName}' combines 'same' padding, strides and dilation over a variable-length axis`);
      }
      return { auto_pad: { kind: 'string', value: 'SAME_UPPER' } };
    }
    throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layerName}' has padding '${padding}'`);
  }

  private conv(layer: tf.layers.Layer, cfg: LayerConfig, v: Value, outShape: (number | null)[], d: 1 | 2): Value {
    const base = layer.name;
    const rank = d + 2;
    check(v.shape.length === rank, FN, `layer '${base}' expects rank ${rank} input, got shape ${JSON.stringify(v.shape)}`);
    const first = cfg.dataFormat === 'channelsFirst';
    const kernelSize = asArray(cfg.kernelSize, d, 'kernelSize', base);
    const strides = asArray(cfg.strides ?? 1, d, 'strides', base);
    const dilations = asArray(cfg.dilationRate ?? 1, d, 'dilationRate', base);
    const x = this.layout(v, first ? identity(rank) : channelsFirst(rank), base);
    const spatial = first ? v.shape.slice(2) : v.shape.slice(1, rank - 1);
    const [kernel, bias] = layer.getWeights().map((w) => w.dataSync() as Float32Array);
    const filters = cfg.filters as number;
    const cin = kernel.length / (filters * kernelSize.reduce((a, b) => a * b, 1));
    // TF.js kernel [k..., cin, cout] -> ONNX [cout, cin, k...].
    const taps = kernelSize.reduce((a, b) => a * b, 1);
    const w = new Float32Array(kernel.length);
    for (let t = 0; t < taps; t++) {
      for (let c = 0; c < cin; c++) {
        for (let o = 0; o < filters; o++) w[(o * cin + c) * taps + t] = kernel[(t * cin + c) * filters + o];
      }
    }
    const inputs = [x.name, this.g.floatInit(`${base}/kernel`, [filters, cin, ...kernelSize], w)];
    if (bias !== undefined) inputs.push(this.g.floatInit(`${base}/bias`, [filters], bias));
    const attrs = {
      kernel_shape: ints(kernelSize),
      strides: ints(strides),
      dilations: ints(dilations),
      ...this.padAttrs(base, cfg.padding as string, spatial, kernelSize, strides, dilations),
    };
    const y = this.g.op('Conv', base, inputs, attrs);
    return this.activation({ name: y, shape: outShape, perm: x.perm }, cfg.activation as string, base);
  }

  private pool(layer: tf.layers.Layer, cfg: LayerConfig, v: Value, outShape: (number | null)[], d: 1 | 2, op: 'MaxPool' | 'AveragePool'): Value {
    const base = layer.name;
    const rank = d + 2;
    check(v.shape.length === rank, FN, `layer '${base}' expects rank ${rank} input, got shape ${JSON.stringify(v.shape)}`);
    const first = cfg.dataFormat === 'channelsFirst';
    const poolSize = asArray(cfg.poolSize, d, 'poolSize', base);
    const strides = asArray(cfg.strides ?? cfg.poolSize, d, 'strides', base);
    const x = this.layout(v, first ? identity(rank) : channelsFirst(rank), base);
    const spatial = first ? v.shape.slice(2) : v.shape.slice(1, rank - 1);
    const ones = new Array<number>(d).fill(1);
    const attrs: Record<string, OnnxAttributeValue> = {
      kernel_shape: ints(poolSize),
      strides: ints(strides),
      ...this.padAttrs(base, cfg.padding as string, spatial, poolSize, strides, ones),
    };
    // TF averages over the window's valid cells only: count_include_pad = 0 (the ONNX default, stated).
    if (op === 'AveragePool') attrs.count_include_pad = int(0);
    return { name: this.g.op(op, base, [x.name], attrs), shape: outShape, perm: x.perm };
  }

  private batchNorm(layer: tf.layers.Layer, cfg: LayerConfig, v: Value, w: Float32Array[]): Value {
    const base = layer.name;
    const rank = v.shape.length;
    const axisCfg = cfg.axis as number | number[];
    const axes = Array.isArray(axisCfg) ? axisCfg : [axisCfg];
    check(axes.length === 1, FN, `layer '${base}' (BatchNormalization) over several axes is not supported`);
    const axis = axes[0] < 0 ? rank + axes[0] : axes[0];
    // Weight order of TF.js: gamma (if scale), beta (if center), moving mean, moving variance.
    let i = 0;
    const gamma = cfg.scale !== false ? w[i++] : undefined;
    const beta = cfg.center !== false ? w[i++] : undefined;
    const mean = w[i++];
    const variance = w[i++];
    const eps = cfg.epsilon as number;
    const c = mean.length;
    // Fold into y = x * a + b (double precision), a = gamma / sqrt(var + eps), b = beta - mean * a.
    const a = new Float32Array(c);
    const b = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      const s = (gamma ? gamma[k] : 1) / Math.sqrt(variance[k] + eps);
      a[k] = s;
      b[k] = (beta ? beta[k] : 0) - mean[k] * s;
    }
    const dims = new Array<number>(rank).fill(1);
    dims[v.perm.indexOf(axis)] = c;
    const mul = this.g.op('Mul', base, [v.name, this.g.floatInit(`${base}/scale`, dims, a)]);
    return { ...v, name: this.g.op('Add', base, [mul, this.g.floatInit(`${base}/shift`, dims, b)]) };
  }
}

/**
 * Exports a TF.js layers model with one input and one output, made of a chain
 * of supported layers ({@link ONNX_SUPPORTED_LAYERS}; nested models are
 * flattened), to the bytes of an ONNX model (opset 13). The ONNX input and
 * output have the TF.js shapes (channels last), with a symbolic batch size.
 * Inference semantics: dropout is the identity, batch normalisation uses its
 * moving statistics.
 *
 * @throws ContrastiveError UNSUPPORTED naming the layer or activation that has no translation.
 */
export function exportOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  check(model instanceof tf.LayersModel, FN, 'model must be a tf.LayersModel');
  check(model.inputs.length === 1, FN, `model '${model.name}' has ${model.inputs.length} inputs; export the encoder (one input, one output)`);
  check(model.outputs.length === 1, FN, `model '${model.name}' has ${model.outputs.length} outputs; export the encoder (one input, one output)`);
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'embedding';
  check(inputName !== outputName, FN, `options.inputName and options.outputName must differ (both '${inputName}')`);

  const g = new GraphBuilder();
  g.reserve(inputName);
  g.reserve(outputName);
  const inShape = model.inputs[0].shape;
  const t = new LayerTranslator(g);
  let v = t.model(model, { name: inputName, shape: inShape, perm: identity(inShape.length) });
  v = t.keras(v, 'output');
  if (options.l2Normalize) {
    const sq = g.op('ReduceSumSquare', 'l2_normalize', [v.name], { axes: ints([v.shape.length - 1]), keepdims: int(1) });
    const floor = g.floatInit('l2_normalize/epsilon', [], new Float32Array([L2_EPSILON]));
    const norm = g.op('Sqrt', 'l2_normalize', [g.op('Max', 'l2_normalize', [sq, floor])]);
    v = { ...v, name: g.op('Div', 'l2_normalize', [v.name, norm]) };
  }
  // The graph output gets its own name: rename the producing node's output, or add an Identity.
  const last = g.nodes[g.nodes.length - 1];
  if (last !== undefined && last.outputs[0] === v.name) last.outputs[0] = outputName;
  else g.op('Identity', 'output', [v.name], undefined, outputName);

  const symbolic = (shape: (number | null)[], prefix: string) => shape.map((d, i) => (d == null ? (i === 0 ? 'batch' : `${prefix}${i}`) : d));
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'contrastive',
    producerVersion: VERSION,
    graphName: model.name,
    docString: options.docString,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: inputName, shape: symbolic(inShape, 'in_dim') }],
    outputs: [{ name: outputName, shape: symbolic(v.shape, 'out_dim') }],
  });
}

/** {@link exportOnnx} written to `file` atomically (parent folders created). */
export async function exportOnnxFile(model: tf.LayersModel, file: string, options: OnnxExportOptions = {}): Promise<void> {
  check(typeof file === 'string' && file.length > 0, 'exportOnnxFile', 'file must be a non-empty path');
  await writeFileAtomic(file, exportOnnx(model, options));
}
