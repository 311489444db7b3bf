/** TF's 'valid' and 'same' padding as ONNX Conv / pooling attributes. */
import { ContrastiveError } from 'contrastive/internal/errors.js';
import type { OnnxAttributeValue } from '@contrastive/kernels/internal/onnx/proto.js';
import { FN, ints } from './graph.js';

/** Explicit begin/end pads of TF 'same' padding when the size is known (extra pad at the end, as TF). */
function samePads(size: (number | null)[], kernel: number[], strides: number[], dilations: number[]): number[] | null {
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
export function padAttrs(layerName: string, padding: string, size: (number | null)[], kernel: number[], strides: number[], dilations: number[]): Record<string, OnnxAttributeValue> {
  const d = kernel.length;
  if (padding === 'valid') return { pads: ints(new Array<number>(2 * d).fill(0)) };
  if (padding === 'same') {
    const pads = samePads(size, kernel, strides, dilations);
    if (pads) return { pads: ints(pads) };
    // Unknown size with strides: SAME_UPPER is TF's rule (extra pad at the end); onnxruntime rejects it with dilation.
    if (dilations.some((x) => x !== 1)) {
      throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layerName}' combines 'same' padding, strides and dilation over a variable-length axis`);
    }
    return { auto_pad: { kind: 'string', value: 'SAME_UPPER' } };
  }
  throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layerName}' has padding '${padding}'`);
}
