/** Backend names, apart from the backend code so that option parsing needs no TensorFlow.js. */

/** Backends the library can run on. 'tensorflow' is the tfjs-node native backend. @group Backend */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** A backend choice: a concrete backend, or 'auto' for the fastest one available. @group Backend */
export type BackendChoice = BackendName | 'auto';

/** Every {@link BackendChoice}, as `--backend` takes them. @group Backend */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
