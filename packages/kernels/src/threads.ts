/**
 * The engine's one thread policy. One setting, the number of threads the kernels may keep
 * busy at once (the calling thread included), decides what each of the four thread pools of
 * the wasm backend's kernels gets ({@link planThreads}):
 * - the wasm backend's own threads: 1 in Node, where TF.js's threaded wasm build cannot start
 *   its workers (they come from a blob: URL); the kernels bring their own threads instead. (In
 *   a page TF.js decides: its threaded build runs only where the page is cross-origin isolated.)
 * - the helper thread (kernel-worker.ts): 1 from two threads up, else 0. The wasm kernels
 *   split a batch in two (main thread and helper), so more helpers would gain nothing;
 * - the native addon's pool (csrc/native/conv.c): all of them. Its kernels split rows or
 *   images so that no result depends on the count, and it starts at most 64;
 * - onnxruntime's intra-op pool (ort-matmul.ts): all of them, for products large enough to be
 *   worth waking a second thread (dispatch.ts says which); smaller ones take 1.
 *
 * The setting comes from {@link setKernelThreads} (initBackend's `threads` option calls it),
 * else the environment variable CONTRASTIVE_KERNEL_THREADS, else the default: two, or one on
 * a one-core host. Two and not every core: the helper makes the wasm kernels two-way at
 * most, and native or onnxruntime threads beyond two compete with the data pipeline and
 * whatever else the machine runs (on a machine of your own, set more).
 */
import { ContrastiveError } from './errors.js';
import { hostCores, hostEnv } from '#platform/host.js';

/** The environment variable that sets the kernel threads (an integer from 1 to {@link MAX_KERNEL_THREADS}). */
export const KERNEL_THREADS_ENV = 'CONTRASTIVE_KERNEL_THREADS';

/** The most threads the setting takes: the native addon's pool holds at most this many parts (MAX_PARTS). */
export const MAX_KERNEL_THREADS = 64;

/** Where the thread setting in force came from. @group Engines */
export type ThreadSource = 'default' | 'environment' | 'setKernelThreads';

/** How many threads each engine of the wasm backend's kernels gets, from one setting. @group Engines */
export interface ThreadPlan {
  /** The setting: threads the kernels may keep busy at once, the calling thread included. */
  threads: number;
  /** Where it came from: {@link setKernelThreads}, CONTRASTIVE_KERNEL_THREADS or the default. */
  source: ThreadSource;
  /** TF.js's wasm backend's own threads in Node: 1 (its threaded build cannot start there; our kernels bring theirs). */
  wasmBackend: 1;
  /** Helper threads beside the calling thread for the wasm kernels: 1 from two threads up, else 0. */
  helper: 0 | 1;
  /** Threads of a native addon kernel, the calling thread included. */
  native: number;
  /** onnxruntime's intra-op threads for a product worth splitting (see the dispatch policy); smaller ones take 1. */
  onnxruntime: number;
}

/**
 * The threads each engine gets when the kernels may keep `threads` busy: the one place that
 * decides it (the module comment says why each gets what). Pure; see {@link threadPlan} for
 * the plan in force.
 * @group Engines
 */
export function planThreads(threads: number, source: ThreadSource = 'setKernelThreads'): ThreadPlan {
  return { threads, source, wasmBackend: 1, helper: threads >= 2 ? 1 : 0, native: threads, onnxruntime: threads };
}

/** The default setting on a host with `cores` cores: two, or one on a one-core host (see the module comment). */
export function defaultKernelThreads(cores: number): number {
  return Math.max(1, Math.min(2, cores));
}

/**
 * `value` as a thread setting, or a ContrastiveError naming `where` and what is allowed. A
 * number; `text` also takes its decimal digits (an environment variable's value).
 */
export function parseKernelThreads(value: unknown, where: string, text = false): number {
  const n = text && typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_KERNEL_THREADS) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${where}: threads must be an integer from 1 to ${MAX_KERNEL_THREADS}, got ${JSON.stringify(value)}`);
  }
  return n;
}

let setting = defaultKernelThreads(hostCores());
let source: ThreadSource = 'default';
/** A CONTRASTIVE_KERNEL_THREADS that is not a setting: kept, and thrown by {@link checkThreadEnvironment}. */
let environmentProblem: ContrastiveError | null = null;
const fromEnvironment = hostEnv(KERNEL_THREADS_ENV);
if (fromEnvironment !== undefined && fromEnvironment !== '') {
  try {
    setting = parseKernelThreads(fromEnvironment, KERNEL_THREADS_ENV, true);
    source = 'environment';
  } catch (err) {
    environmentProblem = err as ContrastiveError;
  }
}

/**
 * Throws the ContrastiveError (INVALID_ARGUMENT) of a CONTRASTIVE_KERNEL_THREADS that is not a
 * thread setting; the kernels run on the default meanwhile. initBackend calls it, so a typo
 * is reported before any work rather than ignored.
 */
export function checkThreadEnvironment(): void {
  if (environmentProblem && source === 'default') throw environmentProblem;
}

/**
 * Sets how many threads the kernels may keep busy at once, the calling thread included
 * (an integer from 1 to 64); {@link planThreads} says what each engine gets from it. Default:
 * CONTRASTIVE_KERNEL_THREADS, else 2 (1 on a one-core host). 1 runs everything on the
 * calling thread.
 * @group Engines
 */
export function setKernelThreads(n: number): void {
  setting = parseKernelThreads(n, 'setKernelThreads');
  source = 'setKernelThreads';
}

/** The thread setting in force (see {@link setKernelThreads}). @group Engines */
export function kernelThreads(): number {
  return setting;
}

/** What each engine gets now from the setting in force. @group Engines */
export function threadPlan(): ThreadPlan {
  return planThreads(setting, source);
}
