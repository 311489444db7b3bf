/**
 * A training job with cohort S-norm: the threshold is chosen on S-normalised
 * validation scores, metrics.json gives the normalised figures beside the
 * distances', the bundle keeps the cohort, and verify applies the same rule.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';
import { openBundle } from '../../packages/cli/src/jobs/evaluate-bundle.js';
import { verifyPair } from '../../packages/cli/src/jobs/verify-pair.js';
import { readManifest, readBundleCohort } from '../../packages/node/src/models/bundle.js';
import { sNormPairs } from '../../packages/contrastive/src/eval/index.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { assertClose } from '../support/helpers.js';

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'score-norm-run-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

const isError = (re: RegExp) => (e: unknown) => e instanceof ContrastiveError && re.test(e.message);

test("runTraining with scoreNorm 's-norm': threshold on S-normalised scores, cohort in the bundle, verify applies it", async () => {
  const out = path.join(tmp, 'run');
  const run = await runTraining({
    dataset: 'mnist',
    encoder: 'mlp',
    hidden: [32],
    embeddingDim: 8,
    holdoutClasses: [7, 8, 9],
    validationClasses: [5, 6],
    scoreNorm: 's-norm',
    cohortSize: 50,
    testPairs: 400,
    backend: 'wasm',
    out,
    report: false,
    train: { epochs: 1, pairsPerEpoch: 256, validationPairs: 300, seed: 3 },
  });
  const m = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
  assert.deepEqual(m.scoreNorm, { kind: 's-norm', cohortSize: 50 });
  for (const v of [m.verification, m.heldOutClasses.verification]) {
    assert.ok(v.accuracy > 0.5 && v.accuracy <= v.bestAccuracy + 1e-12, `accuracy ${v.accuracy}, best ${v.bestAccuracy}`);
    assert.ok(v.distance.auc > 0.5 && v.distance.bestAccuracy > 0.5);
  }
  const manifest = await readManifest(run.bundleDir);
  assert.equal(manifest.threshold, m.verification.threshold);
  assert.match(String(manifest.calibration?.dataset), /\(s-norm\)/);
  assert.deepEqual({ ...manifest.scoreNorm, dataset: undefined }, { kind: 's-norm', file: 'cohort.bin', size: 50, dataset: undefined });
  const cohort = await readBundleCohort(run.bundleDir, manifest);
  assert.equal(cohort?.length, 50 * 8);

  const bundle = await openBundle(run.bundleDir);
  try {
    const a = { kind: 'row', dataset: 'mnist', index: 7 } as const;
    const b = { kind: 'row', dataset: 'mnist', index: 9 } as const;
    const r = await verifyPair(bundle, a, b);
    // the score is the pair's S-norm against the bundle's cohort, and the verdict is on it
    const x = await bundle.network.embedBatched((await import('../../packages/node/src/data/index.js')).loadMnist().x.subarray(0, 10 * 784));
    const e = Float32Array.from([...x.subarray(7 * 8, 8 * 8), ...x.subarray(9 * 8, 10 * 8)]);
    assertClose([r.score], [sNormPairs(e, 8, [0], [1], [r.distance], cohort!)[0]], 1e-5);
    assert.equal(r.same, r.score <= r.threshold);
    assert.equal(r.threshold, manifest.threshold);
    // a threshold passed in applies to the same score (negative thresholds are meaningful here)
    assert.equal((await verifyPair(bundle, a, b, { threshold: r.score - 1 })).same, false);
    assert.equal((await verifyPair(bundle, a, b, { threshold: r.score + 1 })).same, true);
  } finally {
    bundle.network.dispose();
    run.network.dispose();
  }

  // a cohort file that does not match the manifest is named
  await fs.writeFile(path.join(run.bundleDir, 'cohort.bin'), new Uint8Array(12));
  await assert.rejects(readBundleCohort(run.bundleDir, manifest), isError(/cohort file .* has 12 bytes; manifest.json describes 50 rows of 8 float32/));
});

test("runTraining refuses scoreNorm with the cross-entropy loss, and cohortSize without scoreNorm, before training", async () => {
  const base = { dataset: 'mnist', encoder: 'mlp' as const, hidden: [8], embeddingDim: 4, backend: 'wasm' as const, report: false as const, train: { epochs: 1, pairsPerEpoch: 64 } };
  await assert.rejects(
    runTraining({ ...base, out: path.join(tmp, 'ce'), scoreNorm: 's-norm', train: { ...base.train, loss: 'cross-entropy' } }),
    isError(/scoreNorm 's-norm' normalises distances; loss 'cross-entropy'/),
  );
  await assert.rejects(runTraining({ ...base, out: path.join(tmp, 'size'), cohortSize: 10 }), isError(/cohortSize applies to scoreNorm 's-norm'/));
});
