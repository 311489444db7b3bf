/**
 * One call to switch TensorFlow.js to a backend, with our kernels on 'wasm': what a page
 * (or any host without `@contrastive/node`'s `initBackend`) runs before training. It exists
 * because the plain steps fail quietly: `tf.setBackend` resolves `false` rather than saying
 * why (a bundled wasm backend whose .wasm files were not found, a page without WebGL), and
 * our kernels must be registered after the wasm backend's module is loaded.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from './errors.js';
import { registerWasmKernels } from './register.js';

/** What to do when backend `name` is not registered with TF.js at all. */
function notRegisteredHint(name: string): string {
  if (name === 'wasm') return "import '@tensorflow/tfjs-backend-wasm' (and call its setWasmPaths() with the URL of its .wasm files)";
  if (name === 'cpu') return "import '@tensorflow/tfjs' (it registers 'cpu')";
  if (name === 'webgl') return "import '@tensorflow/tfjs' in a browser (it registers 'webgl' only where there is a DOM; Node has none)";
  return `import the package that registers '${name}'`;
}

/** Why backend `name` may have failed to initialise. */
function failedHint(name: string): string {
  if (name === 'wasm') {
    return "its .wasm files could not be loaded: in a bundled page call setWasmPaths(url) from '@tensorflow/tfjs-backend-wasm' with the URL where tfjs-backend-wasm*.wasm are served";
  }
  if (name === 'webgl') return 'this page has no WebGL (a browser or machine without GPU access, or WebGL turned off)';
  return 'see the browser console for the reason TensorFlow.js gave';
}

/**
 * Makes `name` ('wasm', 'webgl', 'cpu' or any backend registered with TF.js) the active
 * TensorFlow.js backend and waits until it is ready. For 'wasm' our kernels are registered
 * first (see {@link registerWasmKernels}): without them the stock wasm backend cannot train a
 * CNN (it has no Conv2DBackpropFilter). Where the backend cannot be used a
 * {@link ContrastiveError} (UNSUPPORTED) says why, where `tf.setBackend` would resolve false.
 *
 * In a page, for the wasm backend:
 * ```ts
 * import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
 * import { useBackend } from 'contrastive'; // or from '@contrastive/kernels'
 * setWasmPaths('/wasm/'); // where tfjs-backend-wasm*.wasm are served
 * await useBackend('wasm');
 * ```
 * In Node, `initBackend` of `@contrastive/node` finds the .wasm files itself.
 *
 * @returns the name of the backend now active.
 * @group Kernels
 */
export async function useBackend(name: string): Promise<string> {
  if (typeof name !== 'string' || name === '') {
    throw new ContrastiveError('INVALID_ARGUMENT', `useBackend: name must be a backend name such as 'wasm', 'webgl' or 'cpu', got ${JSON.stringify(name)}`);
  }
  if (!tf.findBackendFactory(name)) {
    const known = Object.keys(tf.engine().registryFactory).sort();
    throw new ContrastiveError('UNSUPPORTED', `useBackend: TensorFlow.js has no backend '${name}' (registered: ${known.join(', ') || 'none'}); ${notRegisteredHint(name)}`);
  }
  if (name === 'wasm') registerWasmKernels();
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    if (ok) await tf.ready();
  } catch (err) {
    throw new ContrastiveError('UNSUPPORTED', `useBackend: backend '${name}' failed to initialise (${(err as Error).message}); ${failedHint(name)}`, { cause: err });
  }
  if (!ok || tf.getBackend() !== name) {
    throw new ContrastiveError('UNSUPPORTED', `useBackend: backend '${name}' failed to initialise; ${failedHint(name)}`);
  }
  return name;
}
