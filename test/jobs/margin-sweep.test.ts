import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import {
  marginSweep,
  recommendMargin,
  defaultMargins,
  marginRuleOfThumb,
  marginSweepTable,
  budgetNote,
  type MarginSweepRow,
} from '../../packages/cli/src/jobs/index.js';

function row(margin: number, mapAtR: number | null, auc: number, error?: string): MarginSweepRow {
  return {
    margin,
    runDir: `/tmp/margin-${margin}`,
    validation: { auc, eer: 1 - auc, mapAtR },
    test: { auc, eer: 1 - auc, accuracy: auc, mapAtR, precisionAt1: mapAtR },
    diagnostics: null,
    epochs: 1,
    bestEpoch: 1,
    trainSeconds: 0.1,
    ...(error ? { error } : {}),
  };
}

test('recommendMargin: best validation MAP@R wins', () => {
  assert.equal(recommendMargin([row(0.5, 0.30, 0.90), row(1, 0.45, 0.80), row(2, 0.40, 0.99)]), 1);
});

test('recommendMargin: MAP@R ties (within tolerance) go to AUC, then to the smaller margin', () => {
  // 1 and 2 tie on MAP@R (0.002 apart); 2 has the better AUC.
  assert.equal(recommendMargin([row(0.5, 0.30, 0.99), row(1, 0.450, 0.90), row(2, 0.452, 0.95)]), 2);
  // 1 and 2 tie on both: the smaller margin.
  assert.equal(recommendMargin([row(4, 0.45, 0.95), row(2, 0.45, 0.95), row(1, 0.448, 0.951)]), 1);
  // Without tolerance, 0.452 beats 0.450 outright.
  assert.equal(recommendMargin([row(1, 0.450, 0.99), row(2, 0.452, 0.90)], 0), 2);
});

test('recommendMargin: failed runs are skipped; pairs-only rows rank by AUC; none finished is an error', () => {
  assert.equal(recommendMargin([row(0.5, 0.9, 0.99, 'loss became NaN'), row(1, 0.2, 0.7)]), 1);
  assert.equal(recommendMargin([row(0.5, null, 0.80), row(1, null, 0.90), row(2, null, 0.85)]), 1);
  assert.throws(() => recommendMargin([row(1, null, NaN, 'diverged')]), (e: unknown) => e instanceof ContrastiveError && /no margin finished/.test(e.message));
  assert.throws(() => recommendMargin([row(1, 0.5, 0.9)], -1), /tieTolerance/);
});

test('defaultMargins and the rule of thumb depend on the normalisation', () => {
  assert.deepEqual(defaultMargins(), [0.25, 0.5, 1, 2, 4]);
  assert.deepEqual(defaultMargins({ normalize: true }), [0.1, 0.2, 0.5, 1.0, 1.5]);
  assert.deepEqual(defaultMargins({ distance: 'cosine' }), [0.1, 0.2, 0.5, 1.0, 1.5]);
  assert.match(marginRuleOfThumb({ normalize: true }), /\[0, 2\].*0\.5-1/);
  assert.match(marginRuleOfThumb({ initialMeanNegative: 3.14159 }), /initialisation \(here 3\.14\)/);
});

test('budgetNote: a short sweep whose largest margin wins says the budget may have chosen it', () => {
  const rows = [row(0.5, 0.6, 0.95), row(1, 0.7, 0.96), row(1.5, 0.75, 0.97)];
  assert.match(budgetNote(rows, 1.5, 3) ?? '', /this 3-epoch budget favours large margins .* at a training run's budget \(40 epochs by default\) a smaller margin may do as well/);
  assert.equal(budgetNote(rows, 1, 3), null, 'a margin inside the range');
  assert.equal(budgetNote(rows, 1.5, 40), null, 'the full budget');
  // the largest margin that finished counts: a failed larger one does not hide the note
  assert.match(budgetNote([...rows, row(4, null, NaN, 'diverged')], 1.5, 3) ?? '', /budget favours large margins/);
  assert.equal(budgetNote([row(1, 0.5, 0.9)], 1, 3), null, 'one margin is no sweep');
});

test('marginSweep: bad margins and losses are clear errors before any training', async () => {
  const bad = async (options: Parameters<typeof marginSweep>[0], re: RegExp): Promise<void> => {
    await assert.rejects(marginSweep(options), (e: unknown) => e instanceof ContrastiveError && re.test(e.message));
  };
  await bad({ margins: [] }, /marginSweep: margins must be a non-empty array/);
  await bad({ margins: [1, -0.5] }, /margins\[1\] must be a finite number > 0, got -0\.5/);
  await bad({ margins: [1, NaN] }, /margins\[1\] must be a finite number > 0, got NaN/);
  await bad({ margins: [1, 1] }, /1 is listed twice/);
  await bad({ margins: [1], loss: 'cross-entropy' as 'triplet' }, /loss must be 'contrastive' or 'triplet'/);
});

test('marginSweep on MNIST: one row per margin, a recommendation among them, sweep.json written', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'margin-sweep-'));
  try {
    const margins = [0.5, 2];
    const seen = new Set<number>();
    const r = await marginSweep(
      { dataset: 'mnist', encoder: 'mlp', margins, out, backend: 'wasm', testPairs: 1000, train: { epochs: 1, pairsPerEpoch: 512, validationPairs: 500 } },
      (m) => seen.add(m),
    );
    assert.deepEqual([...seen], margins);
    assert.deepEqual(r.rows.map((x) => x.margin), margins);
    assert.ok(margins.includes(r.recommended));
    // The recommendation, worked out here from the rows' own validation figures (not by calling
    // recommendMargin again): the best MAP@R, or within 0.005 of it the best AUC, then the smaller margin.
    const mapOf = (x: MarginSweepRow): number => x.validation.mapAtR as number;
    const topMap = Math.max(...r.rows.map(mapOf));
    const tiedOnMap = r.rows.filter((x) => mapOf(x) >= topMap - 0.005);
    const topAuc = Math.max(...tiedOnMap.map((x) => x.validation.auc));
    const expected = Math.min(...tiedOnMap.filter((x) => x.validation.auc >= topAuc - 0.005).map((x) => x.margin));
    assert.equal(r.recommended, expected, JSON.stringify(r.rows.map((x) => [x.margin, mapOf(x), x.validation.auc])));
    for (const x of r.rows) {
      assert.equal(x.error, undefined);
      for (const v of [x.validation.auc, x.validation.eer, x.validation.mapAtR, x.test.auc, x.test.eer, x.test.accuracy, x.test.mapAtR]) {
        assert.ok(typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1, `figure ${v} of margin ${x.margin}`);
      }
      assert.ok(x.diagnostics && x.diagnostics.meanNegative > 0);
      assert.equal(x.runDir, path.join(out, `margin-${x.margin}`));
      await fs.access(path.join(x.runDir, 'metrics.json'));
      // The run trained with its own margin.
      const metrics = JSON.parse(await fs.readFile(path.join(x.runDir, 'metrics.json'), 'utf8'));
      assert.equal(metrics.margin, x.margin);
    }
    // The untrained scale is measured on the validation pairs: positive distances.
    assert.ok(r.initialDistances.meanNegative > 0 && r.initialDistances.meanPositive > 0);
    assert.equal(r.initialDistances.pairs, 500);
    const written = JSON.parse(await fs.readFile(path.join(out, 'sweep.json'), 'utf8'));
    assert.equal(written.recommended, r.recommended);
    // one epoch is a short budget: the note is there exactly when the larger margin won
    assert.equal(r.budgetNote === null, r.recommended !== 2, String(r.budgetNote));
    assert.equal(written.budgetNote, r.budgetNote);
    assert.equal(written.rows.length, 2);
    const table = marginSweepTable(r);
    assert.equal(table.trim().split('\n').length, 2 + margins.length);
    assert.match(table, new RegExp(`\\| ${r.recommended} \\*\\*\\(rec\\.\\)\\*\\*`));
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
});
