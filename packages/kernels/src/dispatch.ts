/**
 * The engine's one dispatch policy: which engine runs a kernel call of a given shape. The
 * engines, fastest first where they apply:
 * - 'native': our native addon (`@contrastive/kernels-native`, native.ts), in Node where it loaded;
 * - 'onnxruntime': onnxruntime-node's GEMM (ort-matmul.ts), in Node where it loads, dense matmuls only;
 * - 'helper': our wasm kernels split between the calling thread and the helper thread
 *   (kernel-worker.ts, split.ts), in Node with two threads or more (threads.ts);
 * - 'wasm': our wasm kernels on the calling thread (csrc/kernels.c), everywhere;
 * - 'stock': TF.js's own wasm kernel (XNNPACK), which every override keeps as its fallback.
 *
 * Every size threshold sits in {@link DISPATCH_THRESHOLDS} with why it is what it is and which
 * bench measures it; the route functions below are the only rules, and the kernels
 * (kernels/*.ts, conv2d-backprop.ts, ...) ask them rather than deciding for themselves. An
 * engine that a route names may still decline a call it cannot take (a dtype, a broadcast
 * bias, an onnxruntime session that fails to build): the kernel then tries the next engine
 * of the route. The routes are pure (shapes and {@link EnginesOn} in, a decision out), so a
 * test can check where any shape goes.
 */

/** One engine of the wasm backend's kernels (see the dispatch policy's module comment). @group Engines */
export type KernelEngine = 'native' | 'onnxruntime' | 'helper' | 'wasm' | 'stock';

/** Which engines are on now (loaded, turned on, given threads). @group Engines */
export interface EnginesOn {
  /** The native addon loaded and on (CONTRASTIVE_NATIVE_KERNELS, setNativeKernels). */
  native: boolean;
  /** onnxruntime's GEMM on (CONTRASTIVE_NATIVE_MATMUL, setNativeMatMul); it may still fail to load, then the next engine runs. */
  onnxruntime: boolean;
  /** The thread plan gives a helper thread (threads.ts). */
  helper: boolean;
}

/** One threshold of the dispatch policy, with its reason. @group Engines */
export interface DispatchThreshold {
  /** The value the rule compares with. */
  value: number;
  /** What the value counts. */
  unit: string;
  /** The rule it is part of. */
  rule: string;
  /** Why the value is what it is. */
  why: string;
  /** The bench that measures it. */
  bench: string;
}

/**
 * Every size threshold that chooses between the engines: the one table of them.
 * @group Engines
 */
export const DISPATCH_THRESHOLDS = {
  nativeGemmMinMacs: {
    value: 1 << 15, unit: 'multiply-adds',
    rule: 'a dense matmul goes to the native addon from this product size',
    why: 'one N-API call has a fixed cost; below this the wasm kernel does the whole product in about that time',
    bench: 'npm run bench:native (the dense GEMMs); bench/profile.ts --models mlp',
  },
  onnxruntimeMinMacs: {
    value: 1 << 20, unit: 'multiply-adds (batch included)',
    rule: 'a dense matmul goes to onnxruntime from this product size',
    why: 'a session run through TF.js has a fixed cost several times an N-API call; the crossover with the wasm kernel lies between 2^19 and 2^20',
    bench: 'bench/profile.ts --models mlp (per-matmul times, --native 0 for the wasm kernels)',
  },
  onnxruntimeParallelMinMacs: {
    value: 8e6, unit: 'multiply-adds (batch included)',
    rule: 'onnxruntime runs a product on its thread-plan threads from this size, one thread below',
    why: 'waking a second pool thread costs more than it saves on smaller products, and much more on a loaded machine; MLAS splits rows and columns, never the sum, so the count never changes results',
    bench: 'bench/profile.ts --models mlp; npm run bench:train -- --models mlp',
  },
  helperMatMulMinMacs: {
    value: 1e6, unit: 'multiply-adds',
    rule: 'a dense matmul is split with the helper thread from this size',
    why: 'below it the copies of A and B into the helper\'s memory and the hand-off cost more than half the product',
    bench: 'bench/profile.ts --models mlp --native 0 --native-kernels 0 (--threads 1 for one thread)',
  },
  helperMatMulMinRows: {
    value: 8, unit: 'output rows',
    rule: 'a dense matmul is split with the helper thread from this many rows',
    why: 'the matmul kernel tiles 4 rows at a time: each thread needs at least one tile',
    bench: 'test/engine/matmul.test.ts (the split is exact)',
  },
  helperConvMinMacs: {
    value: 4e6, unit: 'multiply-adds',
    rule: 'a wasm convolution (forward or gradient) is split with the helper thread from this size',
    why: 'below it the copies of the helper\'s images and the hand-off cost more than half the convolution',
    bench: 'bench/profile.ts --models cnn --native-kernels 0 (--threads 1 for one thread)',
  },
  helperConvMinBatch: {
    value: 4, unit: 'images',
    rule: 'a wasm convolution is split with the helper thread from this batch',
    why: 'the split is by images: smaller batches leave one thread idle most of the call',
    bench: 'bench/profile.ts --models cnn --native-kernels 0',
  },
  helperMainShare: {
    value: 0.46, unit: 'share of the rows or images',
    rule: 'the calling thread keeps this share of a split call, the helper the rest',
    why: 'the calling thread also copies the helper\'s inputs in and its outputs back, so it keeps a little less than half',
    bench: 'bench/profile.ts (the copies line beside the split kernels)',
  },
  wasmConvMinChannels: {
    value: 8, unit: 'input channels',
    rule: 'our wasm convolutions (Winograd or direct) take a Conv2D from this many input channels; fewer go to the stock kernel',
    why: 'with few input channels (a first layer) the stock XNNPACK kernel is faster than ours',
    bench: 'bench/kernels-ab.ts (Conv2D rows); bench/profile.ts --models cnn --native-kernels 0',
  },
  wasmDirectConvMaxFilter: {
    value: 16, unit: 'filter rows',
    rule: 'our direct wasm convolution takes filters up to this height',
    why: 'the kernel gathers the filter rows of an output row into a table of MAX_FH = 16 (csrc/kernels.c): a limit of the kernel, not a speed choice',
    bench: 'test/engine/kernels.test.ts',
  },
} as const satisfies Record<string, DispatchThreshold>;

const T = DISPATCH_THRESHOLDS;

/** The shape of a dense matmul act(op(a) op(b) + bias) as the policy sees it. @group Engines */
export interface MatMulShape {
  /** Rows of the output, inner dimension, columns of the output. */
  M: number;
  K: number;
  N: number;
  /** Matrices in the (broadcast) batch; 1 for a single product. */
  batch: number;
  /** Both operands are single matrices (every leading dimension 1, the same rank). */
  single: boolean;
  transposeA: boolean;
  transposeB: boolean;
  /** A bias is added. */
  bias: boolean;
  /** The fused activation ('linear' for none). */
  activation: string;
}

/**
 * The engines to try for a dense matmul, in order; the last is always 'stock'.
 * - native: single matrices, at most one operand transposed, linear or relu with no transpose
 *   when there is a bias or relu (its forward kernel fuses them), from
 *   {@link DISPATCH_THRESHOLDS}.nativeGemmMinMacs;
 * - onnxruntime: every form, from onnxruntimeMinMacs; first for A·Bᵀ without bias or
 *   activation (an input gradient), where the native kernel first transposes B into panels;
 * - helper: single matrices, linear or relu, from helperMatMulMinMacs and helperMatMulMinRows;
 * - stock: the rest (with a transposed operand, transposed first: the stock kernel's fast path).
 * @group Engines
 */
export function matMulRoute(s: MatMulShape, on: EnginesOn): KernelEngine[] {
  const macs = s.M * s.K * s.N;
  const fusable = s.activation === 'linear' || s.activation === 'relu';
  const route: KernelEngine[] = [];
  if (macs === 0) return ['stock'];
  const native = on.native && s.single && fusable && !(s.transposeA && s.transposeB) &&
    !((s.transposeA || s.transposeB) && (s.bias || s.activation === 'relu')) && macs >= T.nativeGemmMinMacs.value;
  const ort = on.onnxruntime && macs * s.batch >= T.onnxruntimeMinMacs.value;
  const plainABt = s.transposeB && !s.transposeA && !s.bias && s.activation === 'linear';
  if (ort && plainABt) route.push('onnxruntime');
  if (native) route.push('native');
  if (ort && !plainABt) route.push('onnxruntime');
  if (on.helper && s.single && fusable && s.M >= T.helperMatMulMinRows.value && macs >= T.helperMatMulMinMacs.value) route.push('helper');
  route.push('stock');
  return route;
}

/** onnxruntime's intra-op threads for a product of `macs` multiply-adds (batch included), given the plan's count. @group Engines */
export function onnxruntimeThreads(macs: number, planned: number): number {
  return macs >= T.onnxruntimeParallelMinMacs.value ? planned : 1;
}

/** The geometry of a 2-D convolution (NHWC) as the policy sees it: split.ts's ConvDims. @group Engines */
export interface ConvShape {
  N: number; H: number; W: number; C: number; OH: number; OW: number; K: number;
  FH: number; FW: number; sh: number; sw: number; dh: number; dw: number;
}

/** Where a forward convolution runs: the engine, and for our wasm kernels which one. @group Engines */
export interface ConvRoute {
  engine: 'native' | 'helper' | 'wasm' | 'stock';
  /** Our wasm kernel when engine is 'helper' or 'wasm': Winograd F(2x2, 3x3) or the direct one. */
  kernel?: 'winograd' | 'direct';
}

const convMacs = (d: ConvShape): number => d.N * d.OH * d.OW * d.K * d.FH * d.FW * d.C;
const nonEmpty = (d: ConvShape): boolean => [d.N, d.H, d.W, d.C, d.OH, d.OW, d.K, d.FH, d.FW, d.sh, d.sw, d.dh, d.dw].every((v) => v > 0);

/** Whether a convolution of this geometry is worth splitting with the helper thread. */
function helperConv(d: ConvShape, on: EnginesOn): boolean {
  return on.helper && d.N >= T.helperConvMinBatch.value && convMacs(d) >= T.helperConvMinMacs.value;
}

/**
 * Whether our Winograd F(2x2, 3x3) kernel takes this convolution: 3x3, stride 1, no
 * dilation, input channels a multiple of 4 (its SIMD width) and at least wasmConvMinChannels,
 * output channels a multiple of 8 (its register tile). It runs fewer multiplications than any
 * direct kernel, so it takes these on one thread too.
 * @group Engines
 */
export function winogradApplies(d: ConvShape): boolean {
  return d.FH === 3 && d.FW === 3 && d.sh === 1 && d.sw === 1 && d.dh === 1 && d.dw === 1 &&
    d.C % 4 === 0 && d.C >= T.wasmConvMinChannels.value && d.K % 8 === 0;
}

/**
 * Where a forward convolution (float32, NHWC) runs: the native addon where on; else Winograd
 * where it applies (with the helper when large enough); else our direct kernel when it can
 * be split with the helper (on one thread the stock XNNPACK kernel is faster than ours); else
 * the stock kernel.
 * @group Engines
 */
export function convForwardRoute(d: ConvShape, on: EnginesOn): ConvRoute {
  if (on.native && nonEmpty(d)) return { engine: 'native' };
  if (winogradApplies(d)) return { engine: helperConv(d, on) ? 'helper' : 'wasm', kernel: 'winograd' };
  const direct = d.FH <= T.wasmDirectConvMaxFilter.value && d.C >= T.wasmConvMinChannels.value;
  if (direct && helperConv(d, on)) return { engine: 'helper', kernel: 'direct' };
  return { engine: 'stock' };
}

/**
 * Where a convolution gradient (Conv2DBackpropInput / Filter; the stock wasm backend has
 * none or a slow one) runs: the native addon where on, else our wasm kernel, split with the
 * helper when large enough.
 * @group Engines
 */
export function convBackpropRoute(d: ConvShape, on: EnginesOn): 'native' | 'helper' | 'wasm' {
  if (on.native && nonEmpty(d)) return 'native';
  return helperConv(d, on) ? 'helper' : 'wasm';
}

/**
 * Where a memory-bound kernel (relu and its gradient, the bias add, column sums, pooling,
 * Adam's update) of `elements` values runs: the native addon where on (it streams on every
 * plan thread), else our wasm kernel (or, for Relu, the stock one: the same single pass).
 * Never the helper: copying a memory-bound kernel's operands to it costs as much as the kernel.
 * @group Engines
 */
export function memoryBoundRoute(elements: number, on: EnginesOn): 'native' | 'wasm' {
  return on.native && elements > 0 ? 'native' : 'wasm';
}

/** The dispatch policy as data, for `contrastive backend --json` and the docs. @group Engines */
export interface DispatchPolicy {
  /** The engines in the order the routes prefer them. */
  engines: readonly KernelEngine[];
  /** Each threshold with its rule, reason and bench. */
  thresholds: Record<keyof typeof DISPATCH_THRESHOLDS, DispatchThreshold>;
  /** The routes in words, by kernel family. */
  routes: Record<'matmul' | 'convForward' | 'convBackprop' | 'memoryBound', string>;
}

/** The dispatch policy as data (see {@link DispatchPolicy}). @group Engines */
export function dispatchPolicy(): DispatchPolicy {
  return {
    engines: ['native', 'onnxruntime', 'helper', 'wasm', 'stock'],
    thresholds: DISPATCH_THRESHOLDS,
    routes: {
      matmul: 'native (single matrices, >= nativeGemmMinMacs) > onnxruntime (>= onnxruntimeMinMacs; first for A·Bᵀ without bias or activation) > helper (>= helperMatMulMinMacs and helperMatMulMinRows) > stock',
      convForward: 'native > Winograd 3x3 (helper from helperConvMinMacs and helperConvMinBatch, else one thread) > direct with the helper (C >= wasmConvMinChannels, FH <= wasmDirectConvMaxFilter) > stock',
      convBackprop: 'native > wasm with the helper (from helperConvMinMacs and helperConvMinBatch) > wasm',
      memoryBound: 'native > wasm (relu: stock)',
    },
  };
}
