/** The native kernels' functions (see @contrastive/kernels, native.ts, for their signatures). */
declare const addon: Record<string, (...args: never[]) => unknown>;
export = addon;
