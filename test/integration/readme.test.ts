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

test('README is a newcomer\'s page: at most 400 lines, no run-log words', () => {
  const lines = readme.split('\n');
  assert.ok(lines.length <= 400, `README.md has ${lines.length} lines (at most 400: the rest belongs in docs/)`);
  const log = lines.map((l, k) => [k + 1, l] as const).filter(([, l]) => /this round|this session|load average|idle machine|shared machine/i.test(l));
  assert.deepEqual(log, [], 'run-log words in README.md: figures go to docs/ with their command and machine');
});
