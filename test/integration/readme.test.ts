import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withWorkspaceSources } from '../support/workspace.js';

const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

test('README starts with the two set-up commands', () => {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1].trim().split('\n');
  assert.match(block[0], /^npm ci && npm run build && npx contrastive train\b/);
  assert.match(block[1], /^npm ci && npm test\b/);
  const pkg = JSON.parse(readFileSync(path.join(root, 'packages/cli/package.json'), 'utf8'));
  assert.equal(pkg.bin.contrastive, './bin/contrastive.js');
});

test('the README library example runs as written', async () => {
  const code = /## Library\n\n```ts\n([\s\S]*?)```/.exec(readme)![1];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-readme-'));
  const file = path.join(dir, 'example.mts');
  await fs.writeFile(file, withWorkspaceSources(code));
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), file], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /precisionAt1/);
  assert.ok(existsSync(path.join(dir, 'my-model', 'manifest.json')));
});
