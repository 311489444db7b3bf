/**
 * indexedDbCheckpointStore outside a page: the module loads in Node (IndexedDB is looked up
 * only when a store is made) and says what to use instead. Its reads and writes run in
 * chromium: test/browser/train-in-page.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContrastiveError, indexedDbCheckpointStore } from '../../packages/contrastive/src/index.js';
import { fileCheckpointStore } from '../../packages/contrastive/src/platform/browser/checkpoint-files.js';

function throwsWith(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ContrastiveError && err.code === code && pattern.test(err.message));
}

test('where there is no IndexedDB the store is refused with what to use instead', () => {
  assert.equal((globalThis as { indexedDB?: unknown }).indexedDB, undefined);
  throwsWith(() => indexedDbCheckpointStore('run'), 'UNSUPPORTED', /no IndexedDB here .*checkpointDir.*memoryCheckpointStore/);
});

test('a store needs a non-empty name', () => {
  throwsWith(() => indexedDbCheckpointStore(''), 'INVALID_ARGUMENT', /indexedDbCheckpointStore: name must be a non-empty string, got ""/);
  throwsWith(() => indexedDbCheckpointStore(3 as unknown as string), 'INVALID_ARGUMENT', /got 3/);
});

test("a page's directory target names the store to use", () => {
  throwsWith(() => fileCheckpointStore('runs/x'), 'UNSUPPORTED', /'runs\/x' needs Node's file system; in a page pass a CheckpointStore \(indexedDbCheckpointStore\(name\)/);
});
