/**
 * The dense path on onnxruntime's native GEMM (MLAS: AVX2 / AVX-512 FMA kernels, the
 * cores the helper worker uses) instead of our 4-wide wasm SIMD: BatchMatMul and
 * _FusedMatMul of the wasm backend, in Node where onnxruntime-node's synchronous native
 * session loads (src/onnx/runtime.ts).
 *
 * One small ONNX graph per signature (shapes, transposes, bias and activation; the product's
 * size decides 1 intra-op thread or the thread plan's, dispatch.ts `onnxruntimeThreads`): a Gemm
 * (transA/transB, C = bias) when both operands are single matrices, else Transpose + MatMul
 * (batch dims broadcast as TF.js does) + Add, then the activation. Sessions are kept in a
 * least-recently-used cache of {@link MAX_SESSIONS}. Inputs are handed to onnxruntime as
 * Float32Array views of the wasm heap (its binding wraps them without a copy) and the output
 * is a view of the TF.js output tensor, which onnxruntime writes in place.
 *
 * Which products come here is the dispatch policy's choice (dispatch.ts `matMulRoute`: from
 * 2^20 multiply-adds). Any case it cannot take (dtype, an empty product, onnxruntime missing,
 * a session that fails to build or run) returns null and the caller tries the route's next engine. Off with
 * `CONTRASTIVE_NATIVE_MATMUL=0` or {@link setNativeMatMul}(false).
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import type { OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx/proto.js';
import { nativeOrt, nativeOrtError, openNativeSession, type NativeOrt, type NativeSession } from './onnx/runtime.js';
import { onnxruntimeThreads } from './dispatch.js';
import { threadPlan } from './threads.js';
import { hostEnv } from '#platform/host.js';
import { heapF32, ptr, type WasmBackendLike } from './wasm-module.js';

/** Activations of TF.js fused ops (tf.fused.Activation), all of which the graph expresses. */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'sigmoid' | 'prelu';

/** What {@link nativeMatMul} computes: act(op(a) op(b) + bias), op = transpose or not. */
export interface NativeMatMulArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo | null;
  activation?: FusedActivation;
  /** Slope of 'leakyrelu' (TF.js default 0.2). */
  leakyreluAlpha?: number;
  /** Slopes of 'prelu', broadcast against the output. */
  preluWeights?: TensorInfo | null;
}

/** Sessions kept (each holds a plan and a thread pool); varying batch sizes evict the oldest. */
export const MAX_SESSIONS = 32;

// Read through the host: a page has no `process` (a bare reference would throw at load).
let enabled = hostEnv('CONTRASTIVE_NATIVE_MATMUL') !== '0';
const sessions = new Map<string, NativeSession | 'failed'>();
/** Calls answered by onnxruntime since the last {@link resetNativeMatMulStats} (bench/profile.ts reads it). */
export const nativeMatMulStats = { calls: 0, sessionsBuilt: 0, failures: 0 };
let lastFailure = '';

/** Resets the counters of {@link nativeMatMulStats}. */
export function resetNativeMatMulStats(): void {
  nativeMatMulStats.calls = 0;
  nativeMatMulStats.sessionsBuilt = 0;
  nativeMatMulStats.failures = 0;
}

/**
 * Turns the native (onnxruntime) dense path on or off for this process. Default on where
 * onnxruntime-node loads, unless the environment variable CONTRASTIVE_NATIVE_MATMUL=0. Off,
 * the wasm kernels run every matmul (bit-identical to the stock XNNPACK kernel); turning it
 * off also releases the cached sessions.
 * @group Engines
 */
export function setNativeMatMul(on: boolean): void {
  enabled = on;
  if (!on) disposeSessions();
}

/** Which engine runs the dense layers' matmuls now, and why. @group Engines */
export interface MatMulEngine {
  /** 'onnxruntime' (native GEMM) or 'wasm' (our SIMD kernel / XNNPACK). */
  engine: 'onnxruntime' | 'wasm';
  /** Why the native path is not used ('' when it is). */
  reason: string;
  /** onnxruntime intra-op threads of large products (the thread plan's; small ones take 1). */
  threads: number;
  /** Sessions in the cache now. */
  sessions: number;
}

/** The engine the wasm backend's BatchMatMul / _FusedMatMul use now (loads onnxruntime to find out). @group Engines */
export function matMulEngine(): MatMulEngine {
  const threads = threadPlan().onnxruntime;
  const base = { threads, sessions: [...sessions.values()].filter((s) => s !== 'failed').length };
  if (!enabled) {
    const why = hostEnv('CONTRASTIVE_NATIVE_MATMUL') === '0' ? 'CONTRASTIVE_NATIVE_MATMUL=0' : 'setNativeMatMul(false)';
    return { ...base, engine: 'wasm', reason: `native matmul turned off (${why})` };
  }
  if (!nativeOrt()) return { ...base, engine: 'wasm', reason: nativeOrtError() };
  if (lastFailure) return { ...base, engine: 'onnxruntime', reason: `some signatures fell back to wasm: ${lastFailure}` };
  return { ...base, engine: 'onnxruntime', reason: '' };
}

/** Whether the onnxruntime dense path is turned on (it may still fail to load). */
export function nativeMatMulOn(): boolean {
  return enabled;
}

function disposeSessions(): void {
  for (const s of sessions.values()) if (s !== 'failed') s.dispose();
  sessions.clear();
}

const isSingle = (batch: number[]) => batch.every((d) => d === 1);

/** `shape` without leading 1s down to `rank` dims (null if a leading dim is not 1). */
function squeezeTo(shape: number[], rank: number): number[] | null {
  const lead = shape.slice(0, Math.max(0, shape.length - rank));
  return lead.every((d) => d === 1) ? shape.slice(lead.length) : null;
}

/** The broadcast of `shape` against `out`, or null where it is not `out` itself. */
function broadcastsInto(shape: number[], out: number[]): boolean {
  try {
    const s = tf.broadcast_util.assertAndGetBroadcastShape(out, shape);
    return s.length === out.length && s.every((d, i) => d === out[i]);
  } catch {
    return false;
  }
}

interface Plan {
  key: string;
  /** onnxruntime dims of a, b, bias, prelu weights and the output (same data, maybe fewer leading 1s). */
  dims: { a: number[]; b: number[]; bias: number[] | null; prelu: number[] | null; out: number[] };
  gemm: boolean;
  transposeA: boolean;
  transposeB: boolean;
  activation: FusedActivation;
  alpha: number;
  threads: number;
}

/** The graph's shapes for these arguments, or null where the native path does not apply. */
function plan(args: NativeMatMulArgs): { plan: Plan; outShape: number[] } | null {
  const { a, b, transposeA, transposeB } = args;
  const bias = args.bias ?? null;
  const prelu = args.activation === 'prelu' ? (args.preluWeights ?? null) : null;
  const activation = args.activation ?? 'linear';
  if (activation === 'prelu' && !prelu) return null;
  for (const t of [a, b, bias, prelu]) if (t && t.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const [M, K] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [K2, N] = transposeB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (K !== K2) return null; // the stock kernel reports the mismatch
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  } catch {
    return null;
  }
  const outShape = [...batch, M, N];
  const batches = tf.util.sizeFromShape(batch);
  if (M * N * K === 0) return null;
  if (bias && !broadcastsInto(bias.shape, outShape)) return null;
  if (prelu && !broadcastsInto(prelu.shape, outShape)) return null;
  // Gemm takes single matrices and a bias of at most two dims.
  const gemmBias = bias ? squeezeTo(bias.shape, 2) : null;
  const gemmPrelu = prelu ? squeezeTo(prelu.shape, 2) : null;
  const gemm = isSingle(batchA) && isSingle(batchB) && (!bias || gemmBias !== null) && (!prelu || gemmPrelu !== null);
  const dims = gemm
    ? { a: a.shape.slice(-2), b: b.shape.slice(-2), bias: gemmBias, prelu: gemmPrelu, out: [M, N] }
    : { a: a.shape, b: b.shape, bias: bias?.shape ?? null, prelu: prelu?.shape ?? null, out: outShape };
  const alpha = activation === 'leakyrelu' ? (args.leakyreluAlpha ?? 0.2) : 0;
  const threads = onnxruntimeThreads(M * N * K * batches, threadPlan().onnxruntime);
  const key = JSON.stringify([dims, gemm, transposeA, transposeB, activation, alpha, threads]);
  return { plan: { key, dims, gemm, transposeA, transposeB, activation, alpha, threads }, outShape };
}

/** Swaps the last two axes (ONNX Transpose perm). */
function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

const scalar = (name: string, v: number): OnnxTensor => ({ name, dims: [], data: Float32Array.of(v) });

/** The ONNX model of a plan: inputs a, b (bias, slope), output y. */
function model(p: Plan): OnnxModel {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const inputs: OnnxValueInfo[] = [{ name: 'a', shape: p.dims.a }, { name: 'b', shape: p.dims.b }];
  if (p.dims.bias) inputs.push({ name: 'bias', shape: p.dims.bias });
  if (p.dims.prelu) inputs.push({ name: 'slope', shape: p.dims.prelu });
  let h: string;
  if (p.gemm) {
    nodes.push({
      opType: 'Gemm', name: 'gemm', inputs: p.dims.bias ? ['a', 'b', 'bias'] : ['a', 'b'], outputs: ['h'],
      attributes: { transA: { kind: 'int', value: p.transposeA ? 1 : 0 }, transB: { kind: 'int', value: p.transposeB ? 1 : 0 } },
    });
    h = 'h';
  } else {
    const a = p.transposeA ? 'at' : 'a';
    const b = p.transposeB ? 'bt' : 'b';
    if (p.transposeA) nodes.push({ opType: 'Transpose', name: 'ta', inputs: ['a'], outputs: ['at'], attributes: { perm: { kind: 'ints', value: swapLast(p.dims.a.length) } } });
    if (p.transposeB) nodes.push({ opType: 'Transpose', name: 'tb', inputs: ['b'], outputs: ['bt'], attributes: { perm: { kind: 'ints', value: swapLast(p.dims.b.length) } } });
    nodes.push({ opType: 'MatMul', name: 'matmul', inputs: [a, b], outputs: ['h'] });
    h = 'h';
    if (p.dims.bias) {
      nodes.push({ opType: 'Add', name: 'add', inputs: ['h', 'bias'], outputs: ['hb'] });
      h = 'hb';
    }
  }
  const act = (opType: string, extra: Partial<OnnxNode> = {}) => nodes.push({ opType, name: 'act', inputs: [h], outputs: ['y'], ...extra });
  switch (p.activation) {
    case 'linear': break;
    case 'relu': act('Relu'); break;
    case 'sigmoid': act('Sigmoid'); break;
    case 'elu': act('Elu', { attributes: { alpha: { kind: 'float', value: 1 } } }); break;
    case 'leakyrelu': act('LeakyRelu', { attributes: { alpha: { kind: 'float', value: p.alpha } } }); break;
    case 'relu6':
      initializers.push(scalar('zero', 0), scalar('six', 6));
      act('Clip', { inputs: [h, 'zero', 'six'] });
      break;
    case 'prelu': act('PRelu', { inputs: [h, 'slope'] }); break;
  }
  // No activation: the last node writes the output itself (an Identity would copy it).
  nodes[nodes.length - 1].outputs = ['y'];
  return {
    irVersion: 8, opsetVersion: 13, producerName: 'contrastive', producerVersion: '0', graphName: 'dense',
    nodes, initializers, inputs, outputs: [{ name: 'y', shape: p.dims.out }],
  };
}

/** The cached session of a plan (built on first use), or null where it cannot be built. */
function sessionFor(ort: NativeOrt, p: Plan): NativeSession | null {
  const known = sessions.get(p.key);
  if (known !== undefined) {
    sessions.delete(p.key); // most recently used last
    sessions.set(p.key, known);
    return known === 'failed' ? null : known;
  }
  let session: NativeSession | 'failed';
  try {
    // Idle pool threads block (the default): each session has its own pool, and a step runs
    // several sessions in turn, and spinning pool threads would take the cores they need.
    session = openNativeSession(ort, model(p), p.threads);
    nativeMatMulStats.sessionsBuilt++;
  } catch (err) {
    session = 'failed';
    lastFailure = `session for ${p.key}: ${(err as Error).message.split('\n')[0]}`;
    nativeMatMulStats.failures++;
  }
  sessions.set(p.key, session);
  while (sessions.size > MAX_SESSIONS) {
    const [oldest, s] = sessions.entries().next().value as [string, NativeSession | 'failed'];
    if (s !== 'failed') s.dispose();
    sessions.delete(oldest);
  }
  return session === 'failed' ? null : session;
}

/** Sessions in the cache now (tests check the bound). */
export function nativeMatMulSessionCount(): number {
  return sessions.size;
}

/**
 * act(op(a) op(b) + bias) on onnxruntime's native GEMM, written into a new wasm tensor; or
 * null (nothing allocated) where the wasm kernels should run instead (see the module comment).
 */
export function nativeMatMul(backend: WasmBackendLike & { disposeData(dataId: object): void }, args: NativeMatMulArgs): TensorInfo | null {
  if (!enabled) return null;
  const planned = plan(args);
  if (!planned) return null;
  const ort = nativeOrt();
  if (!ort) return null;
  const { plan: p, outShape } = planned;
  const session = sessionFor(ort, p);
  if (!session) return null;
  const out = backend.makeOutput(outShape, 'float32');
  try {
    // Views taken after makeOutput: a heap growth there replaces the buffer.
    const heap = heapF32(backend);
    const view = (t: TensorInfo, dims: number[]) => {
      const at = ptr(backend, t) / 4;
      return new ort.Tensor('float32', heap.subarray(at, at + tf.util.sizeFromShape(dims)), dims);
    };
    const feeds: Record<string, unknown> = { a: view(args.a, p.dims.a), b: view(args.b, p.dims.b) };
    if (p.dims.bias) feeds.bias = view(args.bias!, p.dims.bias);
    if (p.dims.prelu) feeds.slope = view(args.preluWeights!, p.dims.prelu);
    session.run(feeds, { y: view(out, p.dims.out) }, {});
    nativeMatMulStats.calls++;
    return out;
  } catch (err) {
    // A run that fails leaves the output unwritten: drop it and let the wasm kernels answer.
    backend.disposeData(out.dataId);
    sessions.set(p.key, 'failed');
    session.dispose();
    lastFailure = `run of ${p.key}: ${(err as Error).message.split('\n')[0]}`;
    nativeMatMulStats.failures++;
    return null;
  }
}
