/**
 * The ONNX graph under construction and the values flowing through it. Each
 * value carries a layout: `perm[i]` is the TF.js (Keras) axis held by ONNX axis
 * i, so a Transpose is emitted only where a layer wants another order.
 */
import { ContrastiveError } from 'contrastive/internal/errors.js';
import type { OnnxAttributeValue, OnnxNode, OnnxTensor } from '@contrastive/kernels/internal/onnx/proto.js';

/** The function named in the exporter's errors. */
export const FN = 'exportOnnx';

/** A tensor flowing through the graph being built. */
export interface Value {
  /** ONNX value name. */
  name: string;
  /** Shape in TF.js (Keras) axis order; null for unknown dims (batch, sequence length). */
  shape: (number | null)[];
  /** perm[i] = the Keras axis held by ONNX axis i (identity = Keras layout). */
  perm: number[];
}

/** A layer's serialised TF.js config. */
export type LayerConfig = Record<string, unknown>;

/** The identity permutation of `rank` axes. */
export const identity = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);
const sameArray = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
/** Channels-first order of a Keras channels-last tensor: [0, rank-1, 1, ..., rank-2]. */
export const channelsFirst = (rank: number): number[] => [0, rank - 1, ...identity(rank).slice(1, rank - 1)];

/** A layer option that is one number or `n` numbers, as `n` numbers. */
export function asArray(v: unknown, n: number, what: string, layer: string): number[] {
  const arr = Array.isArray(v) ? (v as number[]) : [v as number];
  if (arr.length === 1 && n > 1) return new Array<number>(n).fill(arr[0]);
  if (arr.length !== n || arr.some((x) => typeof x !== 'number')) {
    throw new ContrastiveError('UNSUPPORTED', `${FN}: layer '${layer}' has ${what} ${JSON.stringify(v)} (expected ${n} numbers)`);
  }
  return arr;
}

/** ONNX attribute values. */
export const ints = (value: number[]): OnnxAttributeValue => ({ kind: 'ints', value });
export const int = (value: number): OnnxAttributeValue => ({ kind: 'int', value });
export const float = (value: number): OnnxAttributeValue => ({ kind: 'float', value });

/** Collects nodes and initializers, and hands out unique value names. */
export class GraphBuilder {
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

  /** Returns `v` with its ONNX axes in the order `target` (a Transpose when they differ). */
  layout(v: Value, target: number[], base: string): Value {
    if (sameArray(v.perm, target)) return v;
    const perm = target.map((axis) => v.perm.indexOf(axis));
    const name = this.op('Transpose', base, [v.name], { perm: ints(perm) });
    return { name, shape: v.shape, perm: target.slice() };
  }

  /** Returns `v` in the Keras axis order. */
  keras(v: Value, base: string): Value {
    return this.layout(v, identity(v.shape.length), base);
  }
}
