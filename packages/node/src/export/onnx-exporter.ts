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
 * Each layer kind's translation is its own file in onnx/ (the table in onnx/layers.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { check } from 'contrastive/internal/errors.js';
import { VERSION } from 'contrastive/internal/version.js';
import { writeFileAtomic } from 'contrastive/internal/util/atomic.js';
import { encodeOnnxModel } from '@contrastive/kernels/internal/onnx/proto.js';
import { FN, GraphBuilder, identity, int, ints } from './onnx/graph.js';
import { translateModel } from './onnx/layers.js';

export { ONNX_SUPPORTED_LAYERS } from './onnx/layers.js';
export { ONNX_SUPPORTED_ACTIVATIONS } from './onnx/activations.js';

/** ONNX operator set the exporter targets (reductions still take `axes` as an attribute). @group ONNX */
export const ONNX_OPSET = 13;
/** IR version matching opset 13. */
const ONNX_IR_VERSION = 7;
/** Floor under the squared norm of the final L2 normalisation, as in models/l2Normalize. */
const L2_EPSILON = 1e-12;

/** Options of {@link exportOnnx}. @group ONNX */
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

/**
 * Exports a TF.js layers model with one input and one output, made of a chain
 * of supported layers ({@link ONNX_SUPPORTED_LAYERS}; nested models are
 * flattened), to the bytes of an ONNX model (opset 13). The ONNX input and
 * output have the TF.js shapes (channels last), with a symbolic batch size.
 * Inference semantics: dropout is the identity, batch normalisation uses its
 * moving statistics.
 *
 * @throws ContrastiveError UNSUPPORTED naming the layer or activation that has no translation.
 * @group ONNX
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
  let v = translateModel(g, model, { name: inputName, shape: inShape, perm: identity(inShape.length) });
  v = g.keras(v, 'output');
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

/** {@link exportOnnx} written to `file` atomically (parent folders created). @group ONNX */
export async function exportOnnxFile(model: tf.LayersModel, file: string, options: OnnxExportOptions = {}): Promise<void> {
  check(typeof file === 'string' && file.length > 0, 'exportOnnxFile', 'file must be a non-empty path');
  await writeFileAtomic(file, exportOnnx(model, options));
}
