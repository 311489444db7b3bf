/**
 * The ranking-score GEMM of the k-NN search on onnxruntime-node's CPU provider
 * (MLAS: AVX2 / AVX-512 FMA kernels on every core), several times faster than
 * TF.js matMul on wasm (128-bit SIMD, one thread). A tiny ONNX graph is built
 * per search: queries block [b, w] x references^T [w, n] -> scores, followed by
 * TopK (smallest first, ties by the smaller index as the ONNX spec requires)
 * when only a few neighbours per query are wanted, so only [b, K] indices come
 * back to JavaScript.
 *
 * The k-NN functions are synchronous, so this runs on onnxruntime-node's
 * synchronous native session (see `nativeOrt` in src/onnx/runtime.ts); where
 * that cannot be loaded the caller falls back to TF.js.
 */
import { ContrastiveError } from '../errors.js';
import type { OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from '@contrastive/kernels/internal/onnx/proto.js';
import { openNativeSession, type NativeOrt, type NativeSession } from '@contrastive/kernels/internal/onnx/runtime.js';
import { hostCores } from '@contrastive/kernels/internal/host.js';

/** Threads of the GEMM: the cores Node may use. */
function defaultThreads(): number {
  return Math.max(1, hostCores());
}

/**
 * What a scorer's graph returns per block of b queries:
 * - 'scores': every ranking score, [b, nr];
 * - 'topK': the column indices of the k smallest scores per row (ascending,
 *   ties by index), [b, k].
 */
export type ScorerGraph = { kind: 'scores' } | { kind: 'topK'; k: number };

const int64 = (name: string, values: number[]): OnnxTensor => ({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });
const FLOAT = { kind: 'int', value: 1 } as const;

function graphNodes(graph: ScorerGraph, nr: number): { nodes: OnnxNode[]; initializers: OnnxTensor[]; outputs: OnnxValueInfo[] } {
  const mm: OnnxNode = { opType: 'MatMul', name: 'scores', inputs: ['q', 'rt'], outputs: ['scores'] };
  if (graph.kind === 'scores') return { nodes: [mm], initializers: [], outputs: [{ name: 'scores', shape: ['b', nr] }] };
  return {
    nodes: [
      mm,
      { opType: 'TopK', name: 'nearest', inputs: ['scores', 'k'], outputs: ['values', 'index64'], attributes: { axis: { kind: 'int', value: -1 }, largest: { kind: 'int', value: 0 }, sorted: { kind: 'int', value: 1 } } },
      // Graph outputs of our encoder are float: indices below 2^24 are exact (checked by the caller).
      { opType: 'Cast', name: 'index', inputs: ['index64'], outputs: ['index'], attributes: { to: FLOAT } },
    ],
    initializers: [int64('k', [graph.k])],
    outputs: [{ name: 'index', shape: ['b', graph.k] }],
  };
}

/** One search's scorer: references^T fixed, blocks of queries in, the {@link ScorerGraph}'s outputs out. */
export class OnnxScorer {
  private session: NativeSession | null;
  private readonly rtTensor: unknown;
  private readonly fetches: Record<string, null>;

  /**
   * @param rt references transposed, row-major [width, nr] (kept, not copied).
   */
  constructor(
    private readonly ort: NativeOrt,
    rt: Float32Array,
    private readonly width: number,
    nr: number,
    graph: ScorerGraph,
    threads = defaultThreads(),
  ) {
    const { nodes, initializers, outputs } = graphNodes(graph, nr);
    this.fetches = Object.fromEntries(outputs.map((o) => [o.name, null]));
    const model: OnnxModel = {
      irVersion: 8,
      opsetVersion: 13,
      producerName: 'contrastive',
      producerVersion: '0',
      graphName: 'knn_scores',
      nodes,
      initializers,
      inputs: [
        { name: 'q', shape: ['b', width] },
        { name: 'rt', shape: [width, nr] },
      ],
      outputs,
    };
    let session: NativeSession;
    try {
      // no busy-waiting between calls: the JS selection runs between them on a shared machine
      session = openNativeSession(ort, model, threads);
    } catch (err) {
      throw new ContrastiveError('UNSUPPORTED', `knn: onnxruntime rejected the distance graph (${(err as Error).message})`, { cause: err });
    }
    this.session = session;
    this.rtTensor = new ort.Tensor('float32', rt, [width, nr]);
  }

  /** The graph's outputs for `rows` queries (row-major [rows, width] in `q`), by name. */
  run(q: Float32Array, rows: number): Record<string, Float32Array> {
    const session = this.session;
    if (!session) throw new ContrastiveError('STATE', 'knn: the onnxruntime scorer was disposed');
    const qTensor = new this.ort.Tensor('float32', q, [rows, this.width]);
    let out: Record<string, { data: unknown }>;
    try {
      out = session.run({ q: qTensor, rt: this.rtTensor }, this.fetches, {});
    } catch (err) {
      throw new ContrastiveError('UNSUPPORTED', `knn: onnxruntime failed on a block of ${rows} queries (${(err as Error).message}); pass engine 'tfjs' to use TF.js`, { cause: err });
    }
    const result: Record<string, Float32Array> = {};
    for (const name of Object.keys(this.fetches)) result[name] = out[name].data as Float32Array;
    return result;
  }

  /** Frees the native session. */
  dispose(): void {
    this.session?.dispose();
    this.session = null;
  }
}
