/**
 * The kernels' host outside Node (a page, a web worker): no modules by name, no package
 * files, no helper thread; the kernels run on the calling thread. Same exports as
 * ../node/host.ts.
 */
import type { Worker } from 'node:worker_threads';
import { ContrastiveError } from '../../errors.js';

/** Whether the host is Node (it is not). */
export const IS_NODE = false;

/** Throws: modules by name need Node. */
export function requireModule(specifier: string): unknown {
  throw new ContrastiveError('UNSUPPORTED', `${specifier} can only be loaded in Node`);
}

/** Throws: package files need Node (the page build embeds what it needs). */
export function readPackageFile(relative: string): Uint8Array<ArrayBuffer> {
  throw new ContrastiveError('UNSUPPORTED', `${relative} can only be read in Node`);
}

/** One: the kernels run on the calling thread. */
export function hostCores(): number {
  return 1;
}

/** No environment outside Node. */
export function hostEnv(_name: string): string | undefined {
  return undefined;
}

/** No worker threads outside Node. */
export const HostWorker: typeof Worker | null = null;
