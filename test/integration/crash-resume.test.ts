// Crash safety of training: `contrastive train` killed with SIGKILL at seeded random points,
// then resumed, ends with exactly the bundle of an uninterrupted run; every checkpoint seen
// after a kill is complete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { cli, ROOT } from '../support/cli.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { writeIdxSet } from '../support/data.js';
import { loadCheckpoint } from '../../packages/contrastive/src/train/checkpoint.js';

let root = '';
let data = '';

const trainArgs = (out: string) => [
  'train', '--dataset', `idx:${data}`, '--encoder', 'mlp', '--hidden', '32', '--embedding-dim', '8',
  '--epochs', '5', '--pairs-per-epoch', '1500', '--batch-size', '50', '--patience', '0', '--seed', '7', '--json', '--out', out,
];

/** Starts training and SIGKILLs it `delayMs` after it reports step `killAfterStep` (1-based, counted over the whole run). */
function trainAndKill(out: string, killAfterStep: number, delayMs: number): Promise<{ killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/cli/main.ts', ...trainArgs(out)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let armed = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (armed || !line.startsWith('{')) return;
      // --json prints every tenth step event (epoch and step counted from 1): arm at the first one at or past the chosen step
      const event = JSON.parse(line) as { type: string; epoch?: number; step?: number; steps?: number };
      if (event.type === 'step' && (event.epoch! - 1) * event.steps! + event.step! >= killAfterStep) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL' }));
  });
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-crash-'));
  data = path.join(root, 'data');
  await writeIdxSet(data, 400, 11);
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('SIGKILL at random points, then --resume: the same bundle as an uninterrupted run, no half-written checkpoint', async () => {
  const reference = path.join(root, 'reference');
  const full = cli(...trainArgs(reference));
  assert.equal(full.code, 0, full.stderr);
  const start = JSON.parse(full.stdout.split('\n')[0]) as { type: string; stepsPerEpoch: number; epochs: number };
  assert.equal(start.type, 'start');
  const totalSteps = start.stepsPerEpoch * start.epochs;
  const referenceWeights = await fs.readFile(path.join(reference, 'model', 'weights.bin'));
  const referenceMetrics = JSON.parse(await fs.readFile(path.join(reference, 'metrics.json'), 'utf8'));

  let kills = 0;
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const out = path.join(root, `run-${seed}`);
    // After the first epoch's checkpoint, anywhere up to the last step (the final saves included).
    const killAfterStep = start.stepsPerEpoch + 1 + rng.int(totalSteps - start.stepsPerEpoch);
    const { killed } = await trainAndKill(out, killAfterStep, rng.int(40));
    if (killed) {
      kills++;
      // Whatever moment the kill hit, the checkpoint on disk is a complete one.
      const { state, groups } = await loadCheckpoint<{ epochsDone: number }>(path.join(out, 'checkpoint'));
      assert.ok(state.epochsDone >= 1 && state.epochsDone <= start.epochs, `seed ${seed}: epochs done ${state.epochsDone}`);
      for (const list of Object.values(groups)) for (const { tensor } of list) tensor.dispose();
    }
    const resumed = cli(...trainArgs(out), '--resume');
    assert.equal(resumed.code, 0, `seed ${seed}: ${resumed.stderr}`);
    const weights = await fs.readFile(path.join(out, 'model', 'weights.bin'));
    assert.ok(weights.equals(referenceWeights), `seed ${seed} (killed after step ${killAfterStep}): weights differ from the uninterrupted run`);
    const metrics = JSON.parse(await fs.readFile(path.join(out, 'metrics.json'), 'utf8'));
    assert.deepEqual(metrics.verification, referenceMetrics.verification);
    const leftovers = (await fs.readdir(out)).filter((n) => n.startsWith('.tmp-'));
    assert.deepEqual(leftovers, [], `seed ${seed}: temporary files left behind`);
  }
  assert.ok(kills >= 2, `only ${kills} of 3 runs were killed before they finished`);
});
