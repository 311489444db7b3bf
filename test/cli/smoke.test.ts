// The executable itself (src/cli/main.ts in a process of its own), once per command family.
// Every other CLI test runs the same `main` in-process (test/support/cli.ts): these check that
// the process gives exactly what the in-process runner gives (exit code, stdout, stderr), so the
// in-process tests speak for the binary. Training, serving, the index's early-closed pipe and
// Ctrl-C are spawned where they are tested (crash-resume, serve-page, cli-index).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { cliIn, spawnCli, assertOneLineError, type CliResult } from '../support/cli.js';
import { VERSION } from '../../packages/contrastive/src/version.js';

const cases: Array<{ family: string; args: string[]; check: (r: CliResult) => void }> = [
  { family: '--version', args: ['--version'], check: (r) => assert.deepEqual(r, { code: 0, stdout: `${VERSION}\n`, stderr: '' }) },
  { family: 'train', args: ['train', '--dataset', 'idx:/nonexistent/dir', '--out', '/nonexistent/run'], check: (r) => assertOneLineError(r, '/nonexistent/dir is not a directory') },
  { family: 'eval', args: ['eval', '--model', '/nonexistent/run'], check: (r) => assertOneLineError(r, 'bundle directory /nonexistent/run does not exist') },
  { family: 'index', args: ['index', 'search', '--index', '/nonexistent/i.sqlite', '--vector', '1,2'], check: (r) => assertOneLineError(r, "'/nonexistent/i.sqlite' does not exist") },
  { family: 'signature', args: ['signature', 'verify', '--model', '/nonexistent/m', '/nonexistent/a.txt', '/nonexistent/b.txt'], check: (r) => assertOneLineError(r, 'bundle directory /nonexistent/m does not exist') },
  { family: 'face', args: ['face', 'verify', '/nonexistent/a.jpg', '/nonexistent/b.jpg'], check: (r) => assertOneLineError(r, '/nonexistent/a.jpg: no such file') },
  { family: 'serve', args: ['serve', '--model', '/nonexistent/m'], check: (r) => assertOneLineError(r, 'bundle directory /nonexistent/m does not exist') },
  { family: 'unknown command', args: ['nosuch'], check: (r) => assertOneLineError(r, "unknown command 'nosuch'") },
];

test('the executable gives what the in-process runner gives: exit code, stdout and stderr, for every command family', async () => {
  const cwd = os.tmpdir();
  // the processes start together (each start is seconds); the in-process runs wait for none of them
  const spawned = Promise.all(cases.map((c) => spawnCli(cwd, ...c.args)));
  const inProcess = cases.map((c) => cliIn(cwd, ...c.args));
  const processes = await spawned;
  cases.forEach((c, k) => {
    c.check(processes[k]);
    assert.deepEqual(processes[k], inProcess[k], `contrastive ${c.args.join(' ')}`);
  });
});
