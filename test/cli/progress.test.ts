/**
 * Progress output of the CLI (src/cli/progress.ts), drawn into stand-in
 * streams: a bar with the task and its ETA on a terminal, JSON progress lines
 * under --json, nothing in a log; the overall ETA of several training runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSeconds, multiRunProgress, progressMode, taskProgress, type ProgressStream } from '../../packages/cli/src/cli/progress.js';
import type { TrainEvent } from '../../packages/contrastive/src/train/index.js';

/** A stream that records what is written; a terminal when `tty`. */
function stream(tty: boolean): ProgressStream & { text: () => string; columns: number } {
  const chunks: string[] = [];
  return { isTTY: tty, columns: 120, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** The visible text of terminal output: ANSI escapes removed. */
function visible(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1B\[[0-9;?]*[A-Za-z]|\x1B[78]/g, '');
}

test('progressMode: JSON when asked, a bar on a terminal, lines otherwise', () => {
  assert.equal(progressMode(true, stream(true)), 'json');
  assert.equal(progressMode(false, stream(true)), 'bar');
  assert.equal(progressMode(undefined, stream(false)), 'lines');
});

test('taskProgress on a terminal: a bar per task with its count and ETA, gone when the task is done', () => {
  const terminal = stream(true);
  const p = taskProgress('bar', { terminal, label: 'faces' });
  for (let done = 1; done <= 176; done++) p.onProgress({ task: 'describing photos', done, total: 176 });
  p.onProgress({ task: 'retrieval metrics', done: 10, total: 30000 });
  p.stop();
  const shown = visible(terminal.text());
  assert.match(shown, /\[faces\] describing photos \|[█░]+\| 0\/176 \| \d+s \| ETA /);
  assert.match(shown, /describing photos \|[█░]+\| 176\/176/);
  assert.match(shown, /retrieval metrics \|[█░]+\| 10\/30000 \| \d+s \| ETA/, 'a new task gets its own bar');
});

test('taskProgress --json: progress lines, at most one per percent, the last one always', () => {
  const json = stream(false);
  const terminal = stream(false);
  const p = taskProgress('json', { json, terminal });
  for (let done = 1; done <= 1000; done++) p.onProgress({ task: 'searching the index', done, total: 1000 });
  p.stop();
  const lines = json.text().trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length >= 100 && lines.length <= 102, `${lines.length} lines`);
  assert.deepEqual(Object.keys(lines[0]), ['type', 'task', 'done', 'total', 'seconds', 'etaSeconds']);
  assert.deepEqual(lines[0], { ...lines[0], type: 'progress', task: 'searching the index', done: 1, total: 1000 });
  assert.equal(lines.at(-1).done, 1000);
  assert.equal(lines.at(-1).etaSeconds, 0);
  assert.equal(terminal.text(), '', 'nothing on the terminal stream');
});

test('taskProgress in a log (not a terminal, no --json) writes nothing', () => {
  const terminal = stream(false);
  const json = stream(false);
  const p = taskProgress('lines', { terminal, json });
  for (let done = 1; done <= 50; done++) p.onProgress({ task: 'embedding', done, total: 50 });
  p.stop();
  assert.equal(terminal.text() + json.text(), '');
});

/** One run's events: `epochs` epochs of `steps` steps. */
function runEvents(epochs: number, steps: number): TrainEvent[] {
  const out: TrainEvent[] = [{ type: 'start', epochs, startEpoch: 0, stepsPerEpoch: steps }];
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < steps; s++) out.push({ type: 'step', epoch: e, step: s, steps, loss: 0.5 });
    out.push({ type: 'epoch', record: { epoch: e + 1, trainLoss: 0.4, seconds: 0.1 } as never });
  }
  return out;
}

test('multiRunProgress: each epoch line says which run of how many and the ETA of all runs', () => {
  const terminal = stream(false);
  const p = multiRunProgress('lines', (loss: string) => loss, 3, { terminal });
  for (const loss of ['contrastive', 'triplet', 'cross-entropy']) for (const e of runEvents(2, 4)) p.onEvent(loss, e);
  p.stop();
  const lines = terminal.text().trim().split('\n');
  assert.equal(lines.length, 6);
  assert.match(lines[0], /^\[contrastive\] epoch 1\/2 \| loss 0\.4000 \| 0\.1s \| run 1\/3, all runs ETA (\d+s|\dm \d\ds)$/);
  assert.match(lines[3], /^\[triplet\] epoch 2\/2 .* \| run 2\/3, all runs ETA /);
  assert.match(lines[5], /^\[cross-entropy\] epoch 2\/2 .* \| run 3\/3, all runs ETA 0s$/, 'nothing left after the last epoch of the last run');
});

test('multiRunProgress on a terminal: the bar carries the run number; --json adds an overall progress line per epoch', () => {
  const terminal = stream(true);
  const bar = multiRunProgress('bar', (m: number) => `margin ${m}`, 2, { terminal });
  for (const m of [0.5, 1]) for (const e of runEvents(1, 3)) bar.onEvent(m, e);
  bar.stop();
  assert.match(visible(terminal.text()), /\[margin 1\] epoch 1\/1 \|[█░]+\| \d\/3 steps \| loss 0\.5000 \| ETA .* \| run 2\/2, all runs ETA/);

  const json = stream(false);
  const p = multiRunProgress('json', (m: number) => `margin ${m}`, 2, { json, terminal: stream(false) });
  for (const m of [0.5, 1]) for (const e of runEvents(2, 3)) p.onEvent(m, e);
  const overall = json.text().trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'progress');
  assert.deepEqual(overall.map((l) => [l.run, l.task, l.done, l.total]), [
    ['margin 0.5', 'runs', 0.5, 2],
    ['margin 0.5', 'runs', 1, 2],
    ['margin 1', 'runs', 1.5, 2],
    ['margin 1', 'runs', 2, 2],
  ]);
});

test('formatSeconds: seconds, minutes, hours', () => {
  assert.equal(formatSeconds(42.4), '42s');
  assert.equal(formatSeconds(185), '3m 05s');
  assert.equal(formatSeconds(7380), '2h 03m');
  assert.equal(formatSeconds(NaN), '-');
});
