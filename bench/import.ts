/**
 * Import time of the packages beside TF.js's own: each of `@tensorflow/tfjs` (the
 * reference: every package here loads it), `contrastive` and `@contrastive/node` is
 * imported in fresh Node processes, one after another in turn (so a burst of load from
 * other work falls on all of them alike), and each process reports the wall and CPU time
 * of its `await import(...)` alone (Node's own start-up is left out). Prints the medians
 * and ends with one JSON line; `project` is `contrastive`'s median wall time, `reference`
 * TF.js's, `diffMs` their difference (the goal: within 300 ms).
 *
 * By default the built packages (packages/<name>/dist, `npm run build`) are imported, as a
 * user's project imports them; without a build, or with --source, the TypeScript sources
 * (`--conditions=contrastive-source --import tsx`, TF.js under the same loader).
 *
 *   npm run bench:import [-- --runs 9 --source]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printTable } from './lib/torch-reference.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const runs = opt('runs', 9);
const built = ['contrastive', 'node'].every((p) => existsSync(path.join(ROOT, 'packages', p, 'dist', 'index.js')));
const mode = args.includes('--source') || !built ? 'source' : 'dist';

const TARGETS = ['@tensorflow/tfjs', 'contrastive', '@contrastive/node'] as const;
type Target = (typeof TARGETS)[number];

// Run as an ES module from the repository root, so the workspace packages resolve as a dependant's would.
const CHILD = `
const c0 = process.cpuUsage();
const t0 = performance.now();
await import(process.env.IMPORT_BENCH_TARGET);
const wall = performance.now() - t0;
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ wall, cpu: (c.user + c.system) / 1000 }) + '\\n');
`;

function once(target: Target): { wall: number; cpu: number } {
  const loader = mode === 'source' ? ['--conditions=contrastive-source', '--import', 'tsx'] : [];
  const env: NodeJS.ProcessEnv = { ...process.env, IMPORT_BENCH_TARGET: target };
  delete env.NODE_OPTIONS; // the npm script's --conditions=contrastive-source must not leak into a dist run
  const r = spawnSync(process.execPath, [...loader, '--input-type=module', '-e', CHILD], { cwd: ROOT, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`importing ${target} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { wall: number; cpu: number };
}

const samples = new Map<Target, { wall: number[]; cpu: number[] }>(TARGETS.map((t) => [t, { wall: [], cpu: [] }]));
once('@tensorflow/tfjs'); // warm the file cache: the first process reads every file from disk
for (let i = 0; i < runs; i++) {
  for (const t of TARGETS) {
    const s = once(t);
    samples.get(t)!.wall.push(s.wall);
    samples.get(t)!.cpu.push(s.cpu);
  }
}

const med = (t: Target, k: 'wall' | 'cpu'): number => median(samples.get(t)![k]);
const ref = med('@tensorflow/tfjs', 'wall');
const refCpu = med('@tensorflow/tfjs', 'cpu');
console.log(`import time, ${mode === 'dist' ? 'built packages (dist/)' : 'TypeScript sources through tsx'}, median of ${runs} fresh processes each (Node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
printTable(
  ['import', 'wall ms', 'vs TF.js', 'CPU ms', 'vs TF.js'],
  TARGETS.map((t) => {
    const w = med(t, 'wall');
    const c = med(t, 'cpu');
    const sign = (x: number) => (t === '@tensorflow/tfjs' ? '(reference)' : `${x >= 0 ? '+' : ''}${x.toFixed(0)}`);
    return [t, w.toFixed(0), sign(w - ref), c.toFixed(0), sign(c - refCpu)];
  }),
);
const project = med('contrastive', 'wall');
console.log(
  JSON.stringify({
    bench: 'import',
    project: Math.round(project),
    reference: Math.round(ref),
    unit: 'ms',
    ratio: Number((project / ref).toFixed(3)),
    diffMs: Math.round(project - ref),
    node: { wallMs: Math.round(med('@contrastive/node', 'wall')), diffMs: Math.round(med('@contrastive/node', 'wall') - ref) },
    cpuMs: { tfjs: Math.round(refCpu), contrastive: Math.round(med('contrastive', 'cpu')), node: Math.round(med('@contrastive/node', 'cpu')) },
    mode,
    runs,
    load: Number(os.loadavg()[0].toFixed(2)),
  }),
);
