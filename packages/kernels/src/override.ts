/** Replacing a stock wasm kernel while keeping it as the fallback for the cases we do not take. */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';

/** The arguments TF.js passes a kernel function. */
export type KernelArgs = Parameters<KernelFunc>[0];

/** The wasm backend's own config of kernel `name` (read before ours replaces it). */
export function stockKernel(name: string): KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm backend has no ${name} kernel`);
  return config;
}

/**
 * A builder of kernel `name`'s config that keeps the stock kernel's setup and runs `fast`,
 * which answers or calls `fallback` (the stock kernel function).
 */
export function overrideStock(name: string, fast: (args: KernelArgs, fallback: KernelFunc) => TensorInfo | TensorInfo[]): () => KernelConfig {
  return () => {
    const base = stockKernel(name);
    return { ...base, kernelFunc: ((args: KernelArgs) => fast(args, base.kernelFunc)) as KernelFunc };
  };
}
