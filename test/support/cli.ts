/** Running the CLI from tests: `node --import tsx src/cli/main.ts ...` in the repository root. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader as a URL, so that a CLI run from another directory finds it. */
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `contrastive ...args` from the sources and returns its exit code and output. */
export function cli(...args: string[]): CliResult {
  return cliIn(ROOT, ...args);
}

/** Runs `contrastive ...args` with `cwd` as the working directory (the sources are found from ROOT). */
export function cliIn(cwd: string, ...args: string[]): CliResult {
  const r = spawnSync(process.execPath, ['--import', TSX, path.join(ROOT, 'packages/cli/src/cli/main.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CONTRASTIVE_DEBUG: '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts a non-zero exit with exactly one line on stderr, no stack trace, naming each needle. */
export function assertOneLineError(r: CliResult, ...needles: Array<string | RegExp>): void {
  assert.notEqual(r.code, 0, 'exit code');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  for (const n of needles) {
    if (typeof n === 'string') assert.ok(r.stderr.includes(n), `stderr names '${n}': ${r.stderr}`);
    else assert.match(r.stderr, n);
  }
}

/** Starts `contrastive serve ...args` and resolves with the child and the URL it prints (rejects if it exits first). */
export function startServe(args: string[]): Promise<{ child: ChildProcess; url: string; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'packages/cli/src/cli/main.ts'), 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/\S+?)\/? \(.*\)\n/.exec(out);
      if (m) resolve({ child, url: m[1], stdout: () => out, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** Stops a server started by {@link startServe} with Ctrl-C; resolves with its exit code. */
export function stopServe(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}
