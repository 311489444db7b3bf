/**
 * Runs bench/lib/reference-torch.py (the PyTorch CPU reference of the Siamese CNN)
 * in a subprocess. Installs nothing: returns null, with the reason, when no
 * Python with torch is found. The interpreter is $CONTRASTIVE_PYTHON, else the
 * first of python3, /usr/bin/python3 that imports torch (Debian's python3-torch
 * lives in /usr/bin/python3, which a pyenv shim may hide).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference-torch.py');

export interface TorchResult {
  imagesPerSecond: number;
  timesMs: number[];
  torch: string;
  threads: number;
}

/** The first Python that imports torch, or null. */
export function findTorchPython(): string | null {
  const candidates = [process.env.CONTRASTIVE_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/**
 * Environment for the PyTorch reference: OMP threads as asked, and without the
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE workarounds an environment may set for
 * old OpenBLAS builds, which slow a current one: the reference runs at its best.
 */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Runs the reference in `mode` with `args`; null (and a reason on stderr) when unavailable. */
export function runTorchReference(mode: 'embed' | 'train', args: Record<string, number | string>): { result: TorchResult | null; note: string } {
  const py = findTorchPython();
  if (!py) return { result: null, note: 'reference unavailable (no python3 with torch; apt-get install python3-torch libopenblas0-pthread)' };
  const argv = [SCRIPT, mode, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const r = spawnSync(py, argv, { encoding: 'utf8', timeout: 600_000, env: torchEnv(Number(args.threads ?? 2)) });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { images_per_s?: number; times_ms?: number[]; torch?: string; threads?: number; error?: string };
    if (r.status === 0 && typeof j.images_per_s === 'number') {
      return { result: { imagesPerSecond: j.images_per_s, timesMs: j.times_ms ?? [], torch: j.torch ?? '?', threads: j.threads ?? 0 }, note: `${py}, torch ${j.torch}, ${j.threads} threads` };
    }
    return { result: null, note: `reference unavailable (${j.error ?? `exit ${r.status}`})` };
  } catch {
    return { result: null, note: `reference unavailable (exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()})` };
  }
}

/** Median of `xs`. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Prints rows as an aligned text table. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}
