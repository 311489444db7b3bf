/**
 * The README's first block is the two set-up commands. (Its code blocks, the library quick
 * start among them, are run by test/docs/code-blocks.test.ts with every other page's.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

test('README starts with the two set-up commands', () => {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1].trim().split('\n');
  assert.match(block[0], /^npm ci && npm run build && npx contrastive train\b/);
  assert.match(block[1], /^npm ci && npm test\b/);
  const pkg = JSON.parse(readFileSync(path.join(root, 'packages/cli/package.json'), 'utf8'));
  assert.equal(pkg.bin.contrastive, './bin/contrastive.js');
});
