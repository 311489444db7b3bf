/** Packaging a new user checks first: a LICENSE matching package.json, the documented option lists matching the code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BACKEND_CHOICES } from '../../packages/node/src/engine/names.js';
import { ROOT } from '../support/cli.js';

test('LICENSE is the MIT licence package.json names', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { license: string };
  assert.equal(pkg.license, 'MIT');
  const license = readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} contrastive authors\n/);
  assert.match(license, /THE SOFTWARE IS PROVIDED "AS IS"/);
});

test("docs/cli.md's --backend list is the library's", () => {
  const page = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
  assert.ok(page.includes(`--backend ${BACKEND_CHOICES.join('|')}`), `docs/cli.md lists --backend ${BACKEND_CHOICES.join('|')}`);
});
