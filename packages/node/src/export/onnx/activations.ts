/** Activations (TF.js serialised names) as ONNX nodes, applied elementwise to a value. */
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { FN, float, int, type GraphBuilder, type Value } from './graph.js';

type Emit = (g: GraphBuilder, v: Value, base: string) => string;
const scalar = (g: GraphBuilder, name: string, x: number): string => g.floatInit(name, [], new Float32Array([x]));

const ACTIVATIONS: Record<string, Emit | null> = {
  linear: null,
  relu: (g, v, base) => g.op('Relu', base, [v.name]),
  relu6: (g, v, base) => g.op('Clip', base, [v.name, scalar(g, `${base}/min`, 0), scalar(g, `${base}/max`, 6)]),
  sigmoid: (g, v, base) => g.op('Sigmoid', base, [v.name]),
  // TF.js: clip(0.2 x + 0.5, 0, 1), ONNX's defaults
  hardSigmoid: (g, v, base) => g.op('HardSigmoid', base, [v.name], { alpha: float(0.2), beta: float(0.5) }),
  tanh: (g, v, base) => g.op('Tanh', base, [v.name]),
  elu: (g, v, base) => g.op('Elu', base, [v.name], { alpha: float(1) }),
  selu: (g, v, base) => g.op('Selu', base, [v.name]),
  softplus: (g, v, base) => g.op('Softplus', base, [v.name]),
  softsign: (g, v, base) => g.op('Softsign', base, [v.name]),
  // Over the last Keras axis, wherever the layout put it.
  softmax: (g, v, base) => g.op('Softmax', base, [v.name], { axis: int(v.perm.indexOf(v.shape.length - 1)) }),
  logSoftmax: (g, v, base) => g.op('LogSoftmax', base, [v.name], { axis: int(v.perm.indexOf(v.shape.length - 1)) }),
  swish: (g, v, base) => g.op('Mul', base, [v.name, g.op('Sigmoid', base, [v.name])]),
  mish: (g, v, base) => g.op('Mul', base, [v.name, g.op('Tanh', base, [g.op('Softplus', base, [v.name])])]),
  gelu: (g, v, base) => {
    // x * 0.5 * (1 + erf(x / sqrt 2)), as TF.js computes it.
    const e = g.op('Erf', base, [g.op('Div', base, [v.name, scalar(g, `${base}/sqrt2`, Math.SQRT2)])]);
    const cdf = g.op('Mul', base, [g.op('Add', base, [e, scalar(g, `${base}/one`, 1)]), scalar(g, `${base}/half`, 0.5)]);
    return g.op('Mul', base, [v.name, cdf]);
  },
};

/** Activation names (TF.js serialised form) {@link exportOnnx} can translate. @group ONNX */
export const ONNX_SUPPORTED_ACTIVATIONS: readonly string[] = Object.keys(ACTIVATIONS);

/** Emits the activation `act` applied elementwise to `v` (layer `base`). */
export function activation(g: GraphBuilder, v: Value, act: string, base: string): Value {
  if (!Object.hasOwn(ACTIVATIONS, act)) {
    throw new ContrastiveError('UNSUPPORTED', `${FN}: activation '${act}' of layer '${base}' has no ONNX translation (supported: ${ONNX_SUPPORTED_ACTIVATIONS.join(', ')})`);
  }
  const emit = ACTIVATIONS[act];
  return emit ? { ...v, name: emit(g, v, base) } : v;
}
