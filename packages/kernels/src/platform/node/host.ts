/**
 * What the kernels need from their host, in Node: modules loaded by name (the optional
 * native addon, onnxruntime-node), files of this package, worker threads, the core count
 * and environment switches. The page build (../browser/host.ts) has none of these, so a
 * bundle for the browser pulls in no Node built-in.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** Whether the host is Node (worker threads, the native addon and onnxruntime can exist). */
export const IS_NODE = true;

/** Loads a CommonJS module or native addon by name, resolved from this package. */
export function requireModule(specifier: string): unknown {
  return createRequire(import.meta.url)(specifier);
}

/** The bytes of a file of this package, `relative` to its root (src/ and dist/ sit at the same depth). */
export function readPackageFile(relative: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(new URL(`../../../${relative}`, import.meta.url)));
}

/** The number of cores the process may use. */
export function hostCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** An environment variable, or undefined. */
export function hostEnv(name: string): string | undefined {
  return process.env[name];
}

/** The worker-thread class (an eval'd source, shared memory through workerData). */
export const HostWorker: typeof Worker | null = Worker;
