import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { jobSeed, splitFractions, runDirectory, runTimestamp, RUN_DEFAULTS } from '../../packages/cli/src/jobs/index.js';

test('jobs share one seed, one pair of split fractions and one run-directory name', () => {
  assert.equal(jobSeed(undefined), RUN_DEFAULTS.seed);
  assert.equal(jobSeed(7), 7);
  assert.deepEqual(splitFractions(), { validation: 0.1, test: 0.2 });
  assert.deepEqual(splitFractions({ testFraction: 0.3 }), { validation: 0.1, test: 0.3 });
  assert.equal(runTimestamp(new Date('2026-11-30T12:20:45.123Z')), '2026-11-30T12-20-45-123Z');
  assert.equal(runDirectory('out/x', 'mnist'), path.resolve('out/x'));
  const auto = runDirectory(undefined, 'folder:/data/my faces', 'compare-');
  assert.match(path.relative(process.cwd(), auto), /^runs[\\/]compare-folder_data_my_faces-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
});
