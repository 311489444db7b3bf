/**
 * The thread test/support/cli.ts runs the CLI in: `main` of packages/cli/src/cli/program.ts,
 * one invocation at a time, with stdout/stderr captured and the environment of the call.
 * Loaded once per test file, so the CLI's start-up (tsx, commander, TF.js) is paid once, not per call.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { main } from '../../packages/cli/src/cli/program.js';

interface Request {
  args: string[];
  env: Record<string, string | undefined>;
}

const { port, signal } = workerData as { port: MessagePort; signal: SharedArrayBuffer };
const flag = new Int32Array(signal);

/** process.env as the caller's (a child would have got a copy of it). */
function setEnv(env: Record<string, string | undefined>): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

async function run({ args, env }: Request): Promise<{ code: number; stdout: string; stderr: string }> {
  setEnv(env);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  const capture = (to: string[]) =>
    ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      to.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(stdout);
  process.stderr.write = capture(stderr);
  process.exitCode = undefined;
  let code: number;
  try {
    // as src/cli/main.ts: a rejection (only with CONTRASTIVE_DEBUG set) prints its stack, exit 2
    code = await main(args).catch((err: unknown) => {
      stderr.push(`${err instanceof Error ? err.stack : String(err)}\n`);
      return 2;
    });
    // output written after the action resolved (a stream's last chunk) still belongs to this run
    await new Promise((r) => setImmediate(r));
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

port.on('message', (req: Request) => {
  void run(req).then(
    (result) => port.postMessage(result),
    (err: unknown) => port.postMessage({ code: -1, stdout: '', stderr: `the in-process CLI failed: ${err instanceof Error ? err.stack : String(err)}\n` }),
  ).finally(() => {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
parentPort?.postMessage('ready');
