/**
 * docs/design/architecture.md's package and layer tables are what
 * scripts/docs-architecture.ts generates from the layer table test/layering.test.ts
 * enforces: change the table, then run the script with --write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ARCHITECTURE_PAGE, architectureSection, withSection } from '../../scripts/docs-architecture.js';

test('the architecture page shows the layer table as it is', () => {
  const page = readFileSync(ARCHITECTURE_PAGE, 'utf8');
  assert.equal(page, withSection(page, architectureSection()), 'run: node --conditions=contrastive-source --import tsx scripts/docs-architecture.ts --write');
});
