/**
 * Shared by the install tests (*.install.ts, run by `npm run test:packages`): fresh projects in
 * a temporary folder, `npm install` of the packed tarballs (dist-packages/, written by
 * scripts/pack-packages.mjs) as a user runs it, with none of this repository's npm settings or
 * environment, and readers of what npm printed and installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PACKED = path.join(ROOT, 'dist-packages');

/** The tarball of each of our packages, by package name. */
export function tarballs(): Record<string, string> {
  const list = path.join(PACKED, 'tarballs.json');
  assert.ok(existsSync(list), `${list} is missing: run node scripts/pack-packages.mjs first (npm run test:packages does)`);
  const names = JSON.parse(readFileSync(list, 'utf8')) as Record<string, string>;
  return Object.fromEntries(Object.entries(names).map(([name, file]) => [name, path.join(PACKED, file)]));
}

/**
 * The environment of a user's shell: this process's, without what `npm run` adds (npm_* config
 * variables, which a child npm would obey, the repository's node_modules/.bin on PATH) and
 * without NODE_OPTIONS (the repository's 'contrastive-source' condition).
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE_OPTIONS' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((p) => !p.includes(`node_modules${path.sep}.bin`)).join(path.delimiter);
  return env;
}

/** A new empty project folder with this package.json. */
export function freshProject(prefix: string, pkg: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.0.0', private: true, ...pkg }, null, 2) + '\n');
  return dir;
}

/** Removes a project folder (at the end of a test that passed; a failed one keeps its folder to look at). */
export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The result of {@link run}. */
export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall time, ms. */
  ms: number;
}

/** Runs a command in `cwd` with {@link userEnv}; fails the test on a non-zero exit unless `allowFailure`. */
export function run(cmd: string, args: string[], cwd: string, options: { timeoutMs?: number; allowFailure?: boolean } = {}): Ran {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 });
  const ran = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t0 };
  if (!options.allowFailure) assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${cwd} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

/** What npm printed as warnings: the install-scripts advisory's packages (name@version), and every other `npm warn` line. */
export interface NpmWarnings {
  /** Packages npm lists as having install scripts that allowScripts does not cover. */
  installScripts: string[];
  /** Every other warning line. */
  other: string[];
}

/** Sorts the `npm warn` lines of an npm run into the install-scripts advisory and the rest. */
export function npmWarnings(output: string): NpmWarnings {
  const installScripts: string[] = [];
  const other: string[] = [];
  for (const line of output.split('\n')) {
    if (!/^npm warn/i.test(line)) continue;
    const advisory = /^npm warn install-scripts(?:\s+(.*))?$/i.exec(line);
    if (!advisory) {
      other.push(line);
      continue;
    }
    // "  better-sqlite3@12.11.1 (install: ...)" names one package; the other lines are its frame.
    const m = /^(@?[^@\s]+@\S+)\s+\((?:pre|post)?install/.exec(advisory[1] ?? '');
    if (m) installScripts.push(m[1]);
  }
  return { installScripts, other };
}

/** The package.json of an installed package (the first copy found from `dir`'s node_modules). */
export function installed(dir: string, name: string): { name: string; version: string; scripts?: Record<string, string>; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> } | null {
  const p = path.join(dir, 'node_modules', name, 'package.json');
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
}

/**
 * Our packages and everything they bring, by name: the dependencies (and installed optional
 * dependencies) of `roots`, transitively, not crossing into the packages the user installs
 * beside them as peers (`exclude`, e.g. @tensorflow/tfjs and its own dependencies).
 */
export function closureOf(dir: string, roots: string[], exclude: string[] = []): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name) || exclude.includes(name)) continue;
    const pkg = installed(dir, name);
    if (!pkg) continue; // an optional dependency for another platform
    seen.add(name);
    queue.push(...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}));
  }
  return [...seen].sort();
}

/** Bytes under `p` (files, not following links). */
export function diskBytes(p: string): number {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  return readdirSync(p).reduce((sum, e) => sum + diskBytes(path.join(p, e)), 0);
}

/** The first ```kind block after `marker` in a Markdown file of the repository. */
export function markdownBlock(file: string, marker: string, kind: string): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const at = text.indexOf(marker);
  assert.ok(at >= 0, `${file} has '${marker}'`);
  const m = new RegExp('```' + kind + '\\n([\\s\\S]*?)```').exec(text.slice(at));
  assert.ok(m, `a ${kind} block after '${marker}' in ${file}`);
  return m[1];
}

/** The documented consumer tsconfig (docs/getting-started.md, "tsconfig.json that works"), its compilerOptions. */
export function readmeCompilerOptions(): Record<string, unknown> {
  const tsconfig = JSON.parse(markdownBlock('docs/getting-started.md', 'tsconfig.json that works', 'json')) as { compilerOptions: Record<string, unknown> };
  return tsconfig.compilerOptions;
}

/** Runs this repository's TypeScript compiler (`tsc -p dir`) over a consumer project. */
export function tsc(dir: string): Ran {
  return run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], dir);
}

/** Prints a figure for the CI log (tests assert; figures are for people). */
export function report(what: string): void {
  process.stdout.write(`${what}\n`);
}
