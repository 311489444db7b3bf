/**
 * Our native kernels (csrc/native: AVX-512 or AVX2 FMA convolution, on the thread plan's
 * threads, threads.ts) for the wasm backend in Node. node-gyp builds them at install into
 * build/Release/contrastive_native.node (binding.gyp); they run on the wasm heap in place,
 * given a Float32Array over it and float offsets, and check that every operand lies inside.
 *
 * Where the addon did not build (no compiler at install) or fails to load, every kernel
 * keeps its wasm path. Off with `CONTRASTIVE_NATIVE_KERNELS=0` or {@link setNativeKernels}(false).
 */
import type { ConvDims } from './split.js';
import { IS_NODE, hostEnv, requireModule } from '#platform/host.js';
import { firstLine, isMissingPackage, packageProblem } from './optional-package.js';

/** The optional package that builds the addon at install (node-gyp); it exports the addon. */
export const NATIVE_ADDON_PACKAGE = '@contrastive/kernels-native';

/**
 * The addon's functions (csrc/native/addon.c). Offsets count floats from the heap view's start;
 * `rest` of the conv kernels is the geometry (split.ts dimsArgs) then, for conv2dForward, relu
 * (0/1), then the thread count.
 */
export interface NativeKernels {
  conv2dForward(heap: Float32Array, x: number, w: number, bias: number, out: number, ...rest: number[]): void;
  conv2dBackpropInput(heap: Float32Array, dy: number, w: number, dx: number, ...rest: number[]): void;
  conv2dBackpropFilter(heap: Float32Array, x: number, dy: number, dw: number, ...rest: number[]): void;
  biasAdd(heap: Float32Array, x: number, b: number, out: number, rows: number, cols: number, threads: number): void;
  relu(heap: Float32Array, x: number, out: number, n: number, threads: number): void;
  /** sums: -1 for none, else where the output's column sums go (blocked order, see sumRows). */
  reluGrad(heap: Float32Array, dy: number, x: number, out: number, sums: number, rows: number, cols: number, threads: number): void;
  /** Column sums per block of 1024 rows in row order, the blocks added in order. */
  sumRows(heap: Float32Array, x: number, sums: number, rows: number, cols: number, threads: number): void;
  /** Pooling windows ph x pw at stride ph x pw, no padding. */
  maxPool(heap: Float32Array, x: number, y: number, N: number, H: number, W: number, C: number, OH: number, OW: number, ph: number, pw: number, threads: number): void;
  maxPoolGrad(heap: Float32Array, x: number, dy: number, dx: number, N: number, H: number, W: number, C: number, OH: number, OW: number, ph: number, pw: number, threads: number): void;
  /** Adam's fused update of one variable (the hyper-parameters rounded to float32, as the wasm kernel's). */
  adamUpdate(heap: Float32Array, w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, c1: number, c2: number, epsilon: number, negLr: number, threads: number): void;
  /** The instruction set the kernels run with: 'avx512', 'avx2' or 'generic'. */
  isa(): string;
}

let enabled = hostEnv('CONTRASTIVE_NATIVE_KERNELS') !== '0';
let addon: NativeKernels | null | undefined;
let addonState: NativeAddonState = 'loaded';
let loadError = '';

/**
 * Whether the native addon is there and loads:
 * - 'loaded': in use wherever the kernels are on;
 * - 'not-installed': the optional package `@contrastive/kernels-native` is absent;
 * - 'not-built': the package is installed but node-gyp did not build the addon at
 *   install (no C compiler, or install scripts skipped);
 * - 'failed': the addon was built but does not load here (another platform, a broken build);
 * - 'unavailable': not running in Node.js.
 */
export type NativeAddonState = 'loaded' | 'not-installed' | 'not-built' | 'failed' | 'unavailable';

/** The state a failure to require the addon package means. */
export function addonStateOf(err: unknown): Exclude<NativeAddonState, 'loaded' | 'unavailable'> {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.code === 'CONTRASTIVE_NATIVE_NOT_BUILT' || /not built/.test(message)) return 'not-built';
  if (isMissingPackage(err, NATIVE_ADDON_PACKAGE)) return 'not-installed';
  return 'failed';
}

function load(): NativeKernels | null {
  if (addon !== undefined) return addon;
  if (!IS_NODE) {
    addonState = 'unavailable';
    loadError = 'not running in Node.js';
    return (addon = null);
  }
  try {
    addon = requireModule(NATIVE_ADDON_PACKAGE) as NativeKernels;
    addonState = 'loaded';
  } catch (err) {
    addon = null;
    addonState = addonStateOf(err);
    // Not installed (an optional peer): say how to add it. Installed: the package's own message
    // says what is wrong (not built: its install script did not run, or found no C compiler).
    loadError = addonState === 'not-installed' ? packageProblem(NATIVE_ADDON_PACKAGE, err) : firstLine(err);
  }
  return addon;
}

/** The native kernels when they are on and loaded, else null (run the wasm kernels). */
export function nativeKernels(): NativeKernels | null {
  return enabled ? load() : null;
}

/** The native kernels for a convolution of these dims (none empty), else null. */
export function nativeConvKernels(d: ConvDims): NativeKernels | null {
  const sizes = [d.N, d.H, d.W, d.C, d.OH, d.OW, d.K, d.FH, d.FW, d.sh, d.sw, d.dh, d.dw];
  return sizes.every((v) => v > 0) ? nativeKernels() : null;
}

/** Turns the native kernels on or off for later kernel calls (on by default where they loaded). @group Engines */
export function setNativeKernels(on: boolean): void {
  enabled = on;
}

/** Which engine the convolution kernels run on, and why not the native one when they do not. @group Engines */
export interface ConvEngine {
  /** 'native' (our addon) or 'wasm'. */
  engine: 'native' | 'wasm';
  /** The native kernels' instruction set, when native. */
  isa?: string;
  /** Why the native kernels are not used, when wasm. */
  reason?: string;
  /** Whether the addon is built and loads (also when the kernels are turned off). */
  addon: NativeAddonState;
}

/** Which engine the convolution kernels run on now (loads the addon to find out). @group Engines */
export function convEngine(): ConvEngine {
  const k = load();
  if (!enabled) return { engine: 'wasm', reason: 'turned off (CONTRASTIVE_NATIVE_KERNELS=0 or setNativeKernels(false))', addon: addonState };
  if (!k) return { engine: 'wasm', reason: `native addon not loaded: ${loadError}`, addon: addonState };
  return { engine: 'native', isa: k.isa(), addon: 'loaded' };
}
