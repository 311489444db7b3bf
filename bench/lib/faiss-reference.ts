/**
 * Runs bench/lib/reference-faiss.py (faiss IndexFlatL2, the exact-search
 * reference) in a subprocess. Installs nothing: returns null with the reason
 * when no Python with faiss is found. The interpreter is $CONTRASTIVE_PYTHON,
 * else the first of python3, /usr/bin/python3 that imports faiss (Debian's
 * python3-faiss lives in /usr/bin/python3, which a pyenv shim may hide).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { torchEnv } from './torch-reference.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference-faiss.py');

/** What the faiss reference measured. */
export interface FaissResult {
  version: string;
  threads: number;
  buildSeconds: number;
  batchedQps: number;
  singleQps: number;
  /** Top-k ids of each query of the batch. */
  ids: number[][];
}

/** The first Python that imports faiss, or null. */
export function findFaissPython(): string | null {
  const candidates = [process.env.CONTRASTIVE_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import faiss'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/** Runs the reference on the float32 files; null and a note when unavailable. */
export function runFaissReference(args: { gallery: string; queries: string; dim: number; k: number; single: number; threads: number }): { result: FaissResult | null; note: string } {
  const py = findFaissPython();
  if (!py) return { result: null, note: 'reference unavailable (no python3 with faiss; apt-get install python3-faiss)' };
  const argv = [SCRIPT, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const r = spawnSync(py, argv, { encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024, env: torchEnv(args.threads) });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { faiss?: string; threads?: number; build_s?: number; batched_qps?: number; single_qps?: number; ids?: number[][]; error?: string };
    if (r.status === 0 && typeof j.batched_qps === 'number') {
      return {
        result: { version: j.faiss ?? '?', threads: j.threads ?? args.threads, buildSeconds: j.build_s ?? NaN, batchedQps: j.batched_qps, singleQps: j.single_qps ?? NaN, ids: j.ids ?? [] },
        note: `${py}, faiss ${j.faiss}, ${j.threads} threads`,
      };
    }
    return { result: null, note: `reference unavailable (${j.error ?? `exit ${r.status}`})` };
  } catch {
    return { result: null, note: `reference unavailable (exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()})` };
  }
}
