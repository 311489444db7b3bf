/**
 * initBackend leaves the process's crash handling alone: the wasm backend's emscripten
 * glue adds `uncaughtException` / `unhandledRejection` listeners that rethrow (an
 * unhandled rejection would then exit with code 7 and a dump of the minified glue, even
 * where the application logs such errors and goes on); initBackend removes what it added.
 */
// npm test: own process (it checks the process's crash listeners)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/cli.js';
import { initBackend } from '../../packages/node/src/engine/backend.js';

const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
const listeners = () => EVENTS.map((e) => [...process.listeners(e as 'uncaughtException')]);

test('initBackend (wasm, first initialisation in this process) leaves the crash listeners as it found them', async () => {
  const mine = (): void => {};
  process.on('unhandledRejection', mine);
  try {
    const before = listeners();
    assert.equal(await initBackend('wasm'), 'wasm');
    assert.deepEqual(listeners(), before);
    // and on every later choice
    await initBackend('cpu');
    await initBackend('auto');
    assert.deepEqual(listeners(), before);
  } finally {
    process.removeListener('unhandledRejection', mine);
  }
});

test('a service that logs unhandled rejections and goes on keeps doing so after initBackend()', () => {
  const code = `
    import { initBackend } from '@contrastive/node';
    process.on('unhandledRejection', (reason) => console.log('logged: ' + reason.message));
    console.log('backend: ' + (await initBackend()));
    Promise.reject(new Error('a lost promise'));
    setTimeout(() => console.log('still serving'), 100);
  `;
  const r = spawnSync(process.execPath, ['--conditions=contrastive-source', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(0, 400)}`);
  assert.match(r.stdout, /backend: wasm\nlogged: a lost promise\nstill serving\n/);
  assert.equal(r.stderr.length < 2000, true, `no dump on stderr: ${r.stderr.slice(0, 400)}`);
});
