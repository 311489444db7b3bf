import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { loadMnist } from '../../packages/node/src/data/index.js';
import { compareLosses } from '../../packages/cli/src/jobs/index.js';
import { marginList } from '../../packages/cli/src/cli/margin.js';
import { cli as runCli } from '../support/cli.js';
import { lossList } from '../../packages/cli/src/cli/compare.js';

/** Runs the CLI (in this process, see test/support/cli.ts); returns exit code and output. */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = runCli(...args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

test('compareLosses on MNIST, classes 8 and 9 held out: three rows with finite metrics, compare.md and compare.json', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'compare-'));
  try {
    // Two held-out classes (the fewest there can be): the held-out scoring's cost grows with the square of their examples.
    const holdout = [8, 9];
    const r = await compareLosses({
      dataset: 'mnist',
      encoder: 'mlp',
      holdoutClasses: holdout,
      out,
      backend: 'wasm',
      testPairs: 1000,
      train: { epochs: 1, pairsPerEpoch: 256, batchSize: 32, validationPairs: 500 },
    });
    assert.deepEqual(r.rows.map((x) => x.loss), ['contrastive', 'triplet', 'cross-entropy']);
    assert.deepEqual(r.rows.map((x) => x.miner), [null, 'semi-hard', null]);
    assert.deepEqual(r.rows.map((x) => x.margin), [0.5, 0.5, null]); // runTraining's default margin for normalised embeddings
    // Every example of the held-out classes is scored, and nothing else.
    const mnist = loadMnist();
    const heldCount = Array.from(mnist.labels).filter((c) => holdout.includes(c)).length;
    for (const x of r.rows) {
      const figures = [x.verification.auc, x.verification.eer, x.verification.accuracy, x.retrieval?.precisionAt1, x.retrieval?.mapAtR];
      for (const v of figures) assert.ok(typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1, `${x.loss}: ${v}`);
      assert.ok(Number.isFinite(x.verification.threshold));
      assert.equal(x.verification.pairs, 1000);
      assert.equal(x.retrieval?.queries, heldCount);
      assert.ok(x.trainSeconds >= 0 && x.stepsPerEpoch >= 1);
      // The whole test split (seen + held-out classes) is larger than the held-out part.
      assert.ok((x.wholeTestSplit.retrieval?.queries ?? 0) > heldCount);
      await fs.access(path.join(out, x.loss, 'metrics.json'));
    }
    // Same budget: pair losses take ceil(256 / 32) steps; the triplet loss the same images in m-per-class batches.
    assert.equal(r.rows[0].stepsPerEpoch, 8);
    assert.equal(r.rows[2].stepsPerEpoch, 8);
    assert.match(r.evaluatedOn, /held-out classes 8, 9/);
    const md = await fs.readFile(path.join(out, 'compare.md'), 'utf8');
    const tableRows = md.split('\n').filter((l) => l.startsWith('|'));
    assert.equal(tableRows.length, 2 + 3);
    assert.match(tableRows[0], /\| loss \| miner \| margin \| AUC \| EER \| accuracy \| P@1 \| MAP@R \| train s \|/);
    assert.match(md, /held-out classes 8, 9/);
    const json = JSON.parse(await fs.readFile(path.join(out, 'compare.json'), 'utf8'));
    assert.equal(json.rows.length, 3);
    assert.equal(json.rows[1].verification.auc, r.rows[1].verification.auc);
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
});

test('compareLosses: bad losses and options are clear errors before any training', async () => {
  const bad = async (options: Parameters<typeof compareLosses>[0], re: RegExp): Promise<void> => {
    await assert.rejects(compareLosses(options), (e: unknown) => e instanceof ContrastiveError && re.test(e.message));
  };
  await bad({ losses: [] }, /compareLosses: losses must be a non-empty array/);
  await bad({ losses: ['contrastive', 'foo' as 'triplet'] }, /losses\[1\] = 'foo' is not a loss/);
  await bad({ losses: ['triplet', 'triplet'] }, /'triplet' is listed twice/);
  await bad({ tripletMargin: -1 }, /tripletMargin must be a finite number > 0/);
});

test('CLI: bad --margins and --losses lists exit non-zero with a clear message', () => {
  const cases: Array<[string[], RegExp]> = [
    [['margin', '--margins', 'a,b'], /--margins.*'a' in 'a,b' is not one/],
    [['compare', '--losses', 'foo'], /--losses.*'foo' in 'foo' is not a loss/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.notEqual(r.status, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, re, args.join(' '));
  }
});

test('CLI list parsers: margins are distinct positive numbers, losses distinct known names', () => {
  assert.deepEqual(marginList('0.25, 0.5,1,2'), [0.25, 0.5, 1, 2]);
  assert.throws(() => marginList('0,1'), /'0' in '0,1' is not one/);
  assert.throws(() => marginList('1,,2'), /'' in '1,,2' is not one/);
  assert.throws(() => marginList('1,Infinity'), /'Infinity'/);
  assert.throws(() => marginList('1,1'), /margin 1 is listed twice/);
  assert.deepEqual(lossList('contrastive,triplet,cross-entropy'), ['contrastive', 'triplet', 'cross-entropy']);
  assert.throws(() => lossList('contrastive,,triplet'), /'' in 'contrastive,,triplet' is not a loss/);
  assert.throws(() => lossList('triplet,triplet'), /loss 'triplet' is listed twice/);
});

test('CLI: contrastive margin --json runs a tiny sweep and writes sweep.json', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'margin-cli-'));
  try {
    const r = cli(['margin', '--margins', '1,2', '--epochs', '1', '--pairs-per-epoch', '256', '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(last.type, 'done');
    assert.ok([1, 2].includes(last.recommended));
    const sweep = JSON.parse(await fs.readFile(path.join(out, 'sweep.json'), 'utf8'));
    assert.deepEqual(sweep.margins, [1, 2]);
    assert.equal(sweep.recommended, last.recommended);
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
});
