/**
 * Running the CLI from tests. `cli()`/`cliIn()` run `main` of packages/cli/src/cli/program.ts in a
 * worker thread of this process (test/support/cli-worker.ts), one call at a time, and wait for it
 * synchronously: the CLI starts once per test file instead of once per call (a `node --import tsx`
 * start is seconds). What a separate process would give is kept: the exit code, stdout and stderr
 * apart, the working directory and environment of the call. `spawnCli()` runs the real executable
 * (src/cli/main.ts in its own process) for the smoke tests of the binary itself.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader as a URL, so that a CLI run from another directory finds it. */
const TSX = import.meta.resolve('tsx');
const MAIN = path.join(ROOT, 'packages/cli/src/cli/main.ts');
const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER = new URL('./cli-worker.ts', import.meta.url).href;
/** A run longer than this is a hang, reported as a failure rather than a stuck test file. */
const CALL_TIMEOUT_MS = 15 * 60_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `contrastive ...args` from the sources and returns its exit code and output. */
export function cli(...args: string[]): CliResult {
  return cliIn(ROOT, ...args);
}

let thread: { worker: Worker; port: MessagePort; flag: Int32Array } | undefined;

function cliThread(): NonNullable<typeof thread> {
  if (thread) return thread;
  const signal = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  // tsx is registered in the thread itself (a worker takes no `--import`); a thread that fails
  // to load answers every call with the failure instead of leaving the caller waiting
  const boot = `
    const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(TSX_API)})
      .then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER)}); })
      .catch((err) => {
        const flag = new Int32Array(workerData.signal);
        workerData.port.on('message', () => {
          workerData.port.postMessage({ code: -1, stdout: '', stderr: 'the CLI thread did not load: ' + (err && err.stack || err) + '\\n' });
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
        });
      });`;
  const worker = new Worker(boot, {
    eval: true,
    workerData: { port: port2, signal },
    transferList: [port2],
    stdout: true, // what escapes the capture is not mixed into the test runner's output
    stderr: true,
  });
  worker.unref();
  port1.unref();
  worker.on('error', (err) => {
    process.stderr.write(`the CLI thread failed: ${err.stack ?? err}\n`);
    thread = undefined;
  });
  thread = { worker, port: port1, flag: new Int32Array(signal) };
  return thread;
}

/**
 * Runs `contrastive ...args` with `cwd` as the working directory, in this process's CLI thread
 * (the sources are found from ROOT). The environment is this process's at the time of the call,
 * with CONTRASTIVE_DEBUG unset (errors are printed as users see them).
 */
export function cliIn(cwd: string, ...args: string[]): CliResult {
  const t = cliThread();
  const env: Record<string, string | undefined> = { ...process.env, CONTRASTIVE_DEBUG: '' };
  const here = process.cwd();
  process.chdir(cwd); // the thread shares the process's working directory
  try {
    Atomics.store(t.flag, 0, 0);
    t.port.postMessage({ args, env });
    if (Atomics.wait(t.flag, 0, 0, CALL_TIMEOUT_MS) === 'timed-out') throw new Error(`contrastive ${args.join(' ')}: no answer in ${CALL_TIMEOUT_MS / 1000} s`);
    const answer = receiveMessageOnPort(t.port);
    if (!answer) throw new Error(`contrastive ${args.join(' ')}: the CLI thread answered nothing`);
    return answer.message as CliResult;
  } finally {
    process.chdir(here);
  }
}

/** Runs `contrastive ...args` as its own process (`node src/cli/main.ts`, the executable): its exit code and output. */
export function spawnCli(cwd: string, ...args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env: { ...process.env, CONTRASTIVE_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
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
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
