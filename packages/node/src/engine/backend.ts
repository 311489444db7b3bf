/**
 * Backend selection: the one place that decides which TensorFlow.js backend
 * runs our tensors. Order for 'auto': tfjs-node ('tensorflow', when the optional
 * package is installed) > 'wasm' (SIMD, .wasm files resolved from the installed
 * package, never a CDN) > 'cpu' (pure JS, slow but complete).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { registerWasmKernels } from '@contrastive/kernels/internal/index.js';

import { BACKEND_CHOICES, type BackendChoice, type BackendName } from './names.js';

export { BACKEND_CHOICES, type BackendChoice, type BackendName };

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
let wasmPathsSet = false;
let tfjsNodeTried: boolean | undefined;

/** The directory holding the wasm backend's .wasm binaries inside node_modules. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + path.sep + 'dist' + path.sep;
}

async function tryTfjsNode(): Promise<boolean> {
  if (tfjsNodeTried !== undefined) return tfjsNodeTried;
  if (!isNode) return (tfjsNodeTried = false);
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    tfjsNodeTried = tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
  } catch {
    tfjsNodeTried = false;
  }
  return tfjsNodeTried;
}

/** Marks the cpu backend as used, which is what stops it printing its tfjs-node banner (a field of MathBackendCPU). */
function quietCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow' && !(await tryTfjsNode())) return false;
  if (name === 'wasm') {
    if (isNode && !wasmPathsSet) {
      setWasmPaths(wasmBinaryDir());
      wasmPathsSet = true;
    }
    registerWasmKernels();
  }
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    // TF.js's cpu backend prints "install tfjs-node" on its first tensor in Node; chosen here, it is chosen on purpose
    // (tfjs-node cannot install without a download), so the banner would only mislead.
    if (ok && name === 'cpu') quietCpuBanner();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Selects and initialises a backend. With 'auto' (the default) the fastest
 * available one is chosen; with a concrete name that backend is required and a
 * {@link ContrastiveError} says why it cannot be used.
 *
 * @returns the name of the backend now in use.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendName> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `initBackend: unknown backend '${String(choice)}' (expected one of ${BACKEND_CHOICES.join(', ')})`);
  }
  if (choice === 'auto') {
    for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
      if (await activate(name)) return name;
    }
    throw new ContrastiveError('UNSUPPORTED', 'initBackend: no TensorFlow.js backend could be initialised');
  }
  if (!(await activate(choice))) {
    const why = choice === 'tensorflow' ? ' (install the optional package @tensorflow/tfjs-node)' : '';
    throw new ContrastiveError('UNSUPPORTED', `initBackend: backend '${choice}' is not available${why}`);
  }
  return choice;
}

/** The name of the backend in use now. */
export function currentBackend(): string {
  return tf.getBackend();
}
