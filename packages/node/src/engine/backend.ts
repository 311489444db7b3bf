/**
 * Backend selection: the one place that decides which TensorFlow.js backend
 * runs our tensors. Order for 'auto': tfjs-node ('tensorflow', when the optional
 * package is installed) > 'wasm' (SIMD, .wasm files resolved from the installed
 * package, never a CDN) > 'cpu' (pure JS, slow but complete).
 *
 * The wasm backend's package is imported here, when it is asked for, not when
 * @contrastive/node is: until then TF.js has no backend that initialises
 * asynchronously, so code that runs before initBackend gets the cpu backend rather
 * than TF.js's "backend 'wasm' has not yet been initialized" from deep inside an op.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { useBackend } from '@contrastive/kernels/internal/use-backend.js';
import { packageProblem } from '@contrastive/kernels/internal/optional-package.js';
import { checkThreadEnvironment, parseKernelThreads, setKernelThreads } from '@contrastive/kernels/internal/threads.js';

import { BACKEND_CHOICES, type BackendChoice, type BackendName } from './names.js';

export { BACKEND_CHOICES, type BackendChoice, type BackendName };

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
let wasmPathsSet = false;
let tfjsNodeTried: boolean | undefined;
let tfjsNodeProblem = '';

/** The optional peer package of the 'tensorflow' backend (native TensorFlow; its install script downloads libtensorflow). */
export const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

/** The directory holding the wasm backend's .wasm binaries inside node_modules. @group Backend */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + path.sep + 'dist' + path.sep;
}

async function tryTfjsNode(): Promise<boolean> {
  if (tfjsNodeTried !== undefined) return tfjsNodeTried;
  if (!isNode) return (tfjsNodeTried = false);
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const name = TFJS_NODE_PACKAGE;
    await import(name);
    tfjsNodeTried = tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
    if (!tfjsNodeTried) tfjsNodeProblem = `${TFJS_NODE_PACKAGE} loaded but registered no 'tensorflow' backend (another @tensorflow/tfjs than this one's?)`;
  } catch (err) {
    // 'auto' falls back to wasm silently; an explicit 'tensorflow' reports this.
    tfjsNodeProblem = packageProblem(TFJS_NODE_PACKAGE, err);
    tfjsNodeTried = false;
  }
  return tfjsNodeTried;
}

/** The process events whose listeners decide what an uncaught error does to the process. */
const CRASH_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `body`, then removes the `uncaughtException` / `unhandledRejection`
 * listeners it added. The wasm backend's emscripten glue adds one of each that
 * rethrows, which turns an unhandled rejection into exit code 7 and a dump of the
 * minified glue even where the application handles such errors itself: the process's
 * crash handling belongs to the application.
 */
async function keepingCrashListeners<T>(body: () => Promise<T>): Promise<T> {
  if (!isNode) return body();
  const emitter: NodeJS.EventEmitter = process; // one signature for both events
  const before = CRASH_EVENTS.map((event) => new Set(emitter.listeners(event)));
  try {
    return await body();
  } finally {
    CRASH_EVENTS.forEach((event, i) => {
      for (const listener of emitter.listeners(event)) {
        if (!before[i].has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    });
  }
}

/** Marks the cpu backend as used, which is what stops it printing its tfjs-node banner (a field of MathBackendCPU). */
function quietCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow' && !(await tryTfjsNode())) return false;
  if (name === 'wasm') {
    // Importing the package registers the backend (and its stock kernels, which registerWasmKernels reads).
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (isNode && !wasmPathsSet) {
      wasm.setWasmPaths(wasmBinaryDir());
      wasmPathsSet = true;
    }
  }
  try {
    return await keepingCrashListeners(async () => {
      await useBackend(name); // our kernels on 'wasm'; throws where the backend cannot be used
      // TF.js's cpu backend prints "install tfjs-node" on its first tensor in Node; chosen here, it is chosen on purpose
      // (tfjs-node cannot install without a download), so the banner would only mislead.
      if (name === 'cpu') quietCpuBanner();
      return true;
    });
  } catch {
    return false;
  }
}

/** Options of {@link initBackend}. @group Backend */
export interface InitBackendOptions {
  /**
   * How many threads our kernels on the wasm backend may keep busy at once, the calling
   * thread included (an integer from 1 to 64): the one setting from which the helper thread,
   * the native addon and onnxruntime get theirs (`threadPlan()` says what each gets).
   * Default: the environment variable CONTRASTIVE_KERNEL_THREADS, else 2 (1 on a one-core
   * host). Calls `setKernelThreads`.
   */
  threads?: number;
}

/**
 * Selects and initialises a backend. With 'auto' (the default) the fastest
 * available one is chosen; with a concrete name that backend is required and a
 * {@link ContrastiveError} says why it cannot be used. `options.threads` sets the
 * kernels' threads ({@link InitBackendOptions}); a CONTRASTIVE_KERNEL_THREADS that is
 * not a thread count is reported here.
 *
 * @returns the name of the backend now in use.
 * @example
 * ```ts
 * import { initBackend } from '@contrastive/node';
 *
 * console.log(await initBackend()); // 'wasm' unless @tensorflow/tfjs-node is installed
 * ```
 * @group Backend
 */
export async function initBackend(choice: BackendChoice = 'auto', options: InitBackendOptions = {}): Promise<BackendName> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `initBackend: unknown backend '${String(choice)}' (expected one of ${BACKEND_CHOICES.join(', ')})`);
  }
  if (options === null || typeof options !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `initBackend: options must be an object, got ${String(options)}`);
  if (options.threads !== undefined) setKernelThreads(parseKernelThreads(options.threads, 'initBackend'));
  else checkThreadEnvironment();
  if (choice === 'auto') {
    for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
      if (await activate(name)) return name;
    }
    throw new ContrastiveError('UNSUPPORTED', 'initBackend: no TensorFlow.js backend could be initialised');
  }
  if (!(await activate(choice))) {
    const why = choice === 'tensorflow' ? `: ${tfjsNodeProblem || `${TFJS_NODE_PACKAGE} did not initialise`}` : '';
    throw new ContrastiveError('UNSUPPORTED', `initBackend: backend '${choice}' is not available${why}`);
  }
  return choice;
}

/** The name of the backend in use now. @group Backend */
export function currentBackend(): string {
  return tf.getBackend();
}

/**
 * The backend in use, after initialising one with {@link initBackend}(`choice`)
 * when none is yet (no `initBackend` call, no `tf.setBackend`, no tensor made).
 * What the Node entry points that load models call first, so that they work
 * without an explicit initBackend and never fail inside TF.js for want of one.
 */
export async function ensureBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const name = tf.engine().backendName;
  if (name) return name;
  return initBackend(choice);
}
