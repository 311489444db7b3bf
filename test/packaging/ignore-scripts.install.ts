/**
 * An install where no install script runs (`npm install --ignore-scripts`; npm 12 does the same
 * for every script the project has not approved): better-sqlite3 has no native binding and the
 * native kernels are not built. The index says that (not "index file does not exist") with the
 * command that fixes it, and the kernels run on wasm and say why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freshProject, npmWarnings, removeProject, report, run, tarballs } from './support.js';

test('--ignore-scripts: the index names better-sqlite3 and npm rebuild; the native kernels say they are not built', { timeout: 600_000 }, () => {
  const packs = tarballs();
  const want = ['@contrastive/kernels', '@contrastive/kernels-native', 'contrastive', '@contrastive/node', '@contrastive/index'];
  const dir = freshProject('ignore-scripts', { name: 'ignore-scripts-consumer', type: 'module' });
  const install = run('npm', ['install', '--ignore-scripts', ...want.map((n) => packs[n]), '@tensorflow/tfjs'], dir);
  report(`--ignore-scripts install: ${(install.ms / 1000).toFixed(1)} s`);
  assert.deepEqual(npmWarnings(install.stdout + install.stderr).other, [], 'npm warned');
  assert.ok(!existsSync(path.join(dir, 'node_modules/better-sqlite3/build')), 'better-sqlite3 was built');
  assert.ok(!existsSync(path.join(dir, 'node_modules/@contrastive/kernels-native/build')), 'the native kernels were built');

  writeFileSync(
    path.join(dir, 'main.js'),
    [
      "import { EmbeddingIndex } from '@contrastive/index';",
      "import { initBackend, convEngine } from '@contrastive/node';",
      "import { writeFileSync } from 'node:fs';",
      'const out = {};',
      "writeFileSync('existing.sqlite', '');",
      "for (const [what, attempt] of [['create', () => EmbeddingIndex.create('new.sqlite', { dim: 2, model: { hash: 'm' } })], ['open', () => EmbeddingIndex.open('existing.sqlite')]]) {",
      '  try { await attempt(); out[what] = null; } catch (err) { out[what] = { name: err.name, code: err.code, message: err.message }; }',
      '}',
      'out.backend = await initBackend();',
      'out.conv = convEngine();',
      'console.log(JSON.stringify(out));',
    ].join('\n'),
  );
  const out = JSON.parse(run(process.execPath, ['main.js'], dir).stdout) as Record<string, { name: string; code: string; message: string } | null> & { backend: string; conv: { engine: string; reason?: string } };
  for (const what of ['create', 'open']) {
    const err = out[what] as { name: string; code: string; message: string } | null;
    assert.ok(err, `EmbeddingIndex.${what} worked without better-sqlite3's binding?`);
    assert.equal(err.name, 'ContrastiveError');
    assert.equal(err.code, 'UNSUPPORTED');
    assert.match(err.message, /better-sqlite3 has no native binding it can load/);
    assert.match(err.message, /build it with: npm rebuild better-sqlite3/);
    assert.doesNotMatch(err.message, /does not exist/);
  }
  assert.ok(!existsSync(path.join(dir, 'new.sqlite')), 'create left a file behind');
  assert.equal(out.backend, 'wasm');
  assert.equal(out.conv.engine, 'wasm');
  assert.match(out.conv.reason ?? '', /^native addon not loaded: @contrastive\/kernels-native is installed but not built: .*build it with: npm rebuild @contrastive\/kernels-native/);
  removeProject(dir);
});
