/**
 * Progress output for long work. The library reports progress through
 * callbacks (trainer events, {@link Progress} reports); this module draws them:
 * - on a terminal (stderr is a TTY): a progress bar with its ETA;
 * - otherwise: one line per training epoch, nothing for other tasks (logs stay short);
 * - with --json: JSON lines. Commands whose --json output is a stream of JSON
 *   lines (train, compare, margin: trainer events, then `{"type":"done"}`) write
 *   progress into that stream on stdout; commands that print one JSON object write
 *   their progress lines to stderr, so stdout stays that one object.
 * A progress line is `{"type":"progress","task","done","total","seconds","etaSeconds"}`.
 * Epochs are counted from 1 everywhere (step events and epoch records alike).
 */
import cliProgress from 'cli-progress';
import type { TrainEvent } from 'contrastive/internal/train/index.js';
import type { Progress } from 'contrastive/internal/util/progress.js';
import { warn, jsonText } from './output.js';

export type ProgressMode = 'bar' | 'lines' | 'json';

/** A stream progress is written to (process.stderr, or a test's stand-in). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Picks the mode: JSON lines when asked, a bar on a terminal (`terminal`, default stderr), plain lines otherwise. */
export function progressMode(json: boolean | undefined, terminal: ProgressStream = process.stderr): ProgressMode {
  if (json) return 'json';
  return terminal.isTTY ? 'bar' : 'lines';
}

/** Where progress goes: bars and lines to `terminal` (default stderr), JSON lines to `json` (default stdout). */
export interface ProgressStreams {
  terminal?: ProgressStream;
  json?: ProgressStream;
}

function fmt(x: number | undefined, digits = 4): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** Seconds as '45s', '3m 05s' or '2h 03m'. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Remaining seconds when `fraction` of the work took `elapsed` seconds (a straight-line estimate). */
function etaOf(elapsed: number, fraction: number): number {
  return fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
}

/** A trainer event as a JSON line: step events count epochs from 1, as epoch records do. */
export function eventJson(e: TrainEvent, run?: string): string {
  const shown = e.type === 'step' ? { ...e, epoch: e.epoch + 1, step: e.step + 1 } : e;
  return jsonText(run === undefined ? shown : { run, ...shown });
}

/** A progress report as a JSON line (see the module comment). */
export function progressJson(p: Progress, seconds: number, run?: string): string {
  const eta = etaOf(seconds, p.done / p.total);
  return JSON.stringify({
    type: 'progress',
    ...(run === undefined ? {} : { run }),
    task: p.task,
    done: p.done,
    total: p.total,
    seconds: Math.round(seconds * 10) / 10,
    etaSeconds: Number.isFinite(eta) ? Math.round(eta * 10) / 10 : null,
  });
}

function newBar(format: string, terminal: ProgressStream): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    // cli-progress reads isTTY, columns and write from the stream it is given
    { format, stream: terminal as NodeJS.WritableStream, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
}

/** Draws the {@link Progress} reports of a job; call `stop()` in a finally. */
export interface TaskProgress {
  onProgress: (p: Progress) => void;
  stop: () => void;
}

/**
 * A listener for a job's progress reports, drawn in `mode`: a bar per task on
 * a terminal (a new bar when the task changes), JSON lines (one per percent of
 * a task at most), or nothing in 'lines' mode. `label` goes before each bar.
 */
export function taskProgress(mode: ProgressMode, options: ProgressStreams & { label?: string } = {}): TaskProgress {
  const terminal = options.terminal ?? process.stderr;
  const json = options.json ?? process.stdout;
  const prefix = options.label ? `[${options.label}] ` : '';
  let bar: cliProgress.SingleBar | undefined;
  let task: string | undefined;
  let started = 0;
  let lastPercent = -1;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  const onProgress = (p: Progress): void => {
    if (p.task !== task) {
      stop();
      task = p.task;
      started = performance.now();
      lastPercent = -1;
    }
    if (mode === 'json') {
      const percent = Math.floor((100 * p.done) / p.total);
      if (percent === lastPercent && p.done < p.total) return;
      lastPercent = percent;
      json.write(progressJson(p, (performance.now() - started) / 1000, options.label) + '\n');
      return;
    }
    if (mode !== 'bar') return;
    if (!bar) {
      bar = newBar(`${prefix}${p.task} |{bar}| {value}/{total} | {duration_formatted} | ETA {eta_formatted}`, terminal);
      bar.start(p.total, 0);
    }
    bar.update(p.done);
    if (p.done >= p.total) stop();
  };
  return { onProgress, stop };
}

/** A listener for trainer events that prints them in `mode`, with `label` before each line. */
export interface TrainProgress {
  onEvent: (e: TrainEvent) => void;
  stop: () => void;
}

/** Options of {@link trainProgress}. */
export interface TrainProgressOptions extends ProgressStreams {
  /** Text after each bar and epoch line (the overall ETA of several runs). */
  suffix?: () => string;
}

/** A listener for one training run's events, printed in `mode`, each line starting with `label` when given. */
export function trainProgress(mode: ProgressMode, label = '', options: TrainProgressOptions = {}): TrainProgress {
  const terminal = options.terminal ?? process.stderr;
  const json = options.json ?? process.stdout;
  const suffix = options.suffix ?? ((): string => '');
  let bar: cliProgress.SingleBar | undefined;
  let epochs = 0;
  const prefix = label ? `[${label}] ` : '';
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  const onEvent = (e: TrainEvent): void => {
    if (mode === 'json') {
      if (e.type === 'step' && e.step % 10 !== 0 && e.step !== e.steps - 1) return;
      json.write(eventJson(e, label || undefined) + '\n');
      return;
    }
    switch (e.type) {
      case 'start':
        epochs = e.epochs;
        if (e.startEpoch > 0) terminal.write(`${prefix}resuming after epoch ${e.startEpoch}\n`);
        break;
      case 'step':
        if (mode !== 'bar') return;
        if (!bar) {
          bar = newBar(`${prefix}epoch {epoch}/{epochs} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}{suffix}`, terminal);
          bar.start(e.steps, 0, { epoch: e.epoch + 1, epochs, loss: fmt(e.loss), suffix: suffix() });
        }
        bar.update(e.step + 1, { epoch: e.epoch + 1, epochs, loss: fmt(e.loss), suffix: suffix() });
        break;
      case 'epoch': {
        stop();
        const r = e.record;
        const v = r.validation;
        const d = r.diagnostics;
        const parts = [`${prefix}epoch ${r.epoch}/${epochs}`, `loss ${fmt(r.trainLoss)}`];
        if (v) parts.push(`val auc ${fmt(v.auc)}`, `eer ${fmt(v.eer)}`, `acc ${fmt(v.accuracy)}`);
        if (d) parts.push(`d+ ${fmt(d.meanPositive, 3)}`, `d- ${fmt(d.meanNegative, 3)}`, `active- ${fmt(d.activeNegativeFraction, 3)}`);
        parts.push(`${r.seconds.toFixed(1)}s`);
        terminal.write(parts.join(' | ') + suffix() + '\n');
        if (r.alarm) terminal.write(`${prefix}warning: ${r.alarm}\n`);
        break;
      }
      case 'early-stop':
        terminal.write(`${prefix}early stop after epoch ${e.epoch}: no improvement since epoch ${e.bestEpoch}\n`);
        break;
    }
  };
  return { onEvent, stop };
}

/** The fraction of one run done after event `e` (epochs and steps), or undefined when `e` says nothing of it. */
function runFraction(e: TrainEvent, run: { epochs: number; startEpoch: number }): number | undefined {
  switch (e.type) {
    case 'start':
      run.epochs = e.epochs;
      run.startEpoch = e.startEpoch;
      return e.epochs > 0 ? e.startEpoch / e.epochs : 0;
    case 'step':
      return run.epochs > 0 ? (e.epoch + (e.step + 1) / e.steps) / run.epochs : undefined;
    case 'epoch':
      return run.epochs > 0 ? e.record.epoch / run.epochs : undefined;
    case 'early-stop':
      return 1;
    default:
      return undefined;
  }
}

/**
 * Progress of a command that trains several runs one after another (compare,
 * margin): a fresh {@link trainProgress} labelled `labelOf(key)` whenever the
 * run key changes, and, when `runs` is given, the run's number and the ETA of
 * all runs after each bar and epoch line (from the epochs and steps done so
 * far; early stopping makes it an upper bound). With --json an overall
 * progress line (task 'runs') follows each epoch. `onEvent(key, e)` is the
 * job's listener; call `stop()` in a finally.
 */
export function multiRunProgress<K>(
  mode: ProgressMode,
  labelOf: (key: K) => string,
  runs?: number,
  streams: ProgressStreams = {},
): { onEvent: (key: K, e: TrainEvent) => void; stop: () => void } {
  const json = streams.json ?? process.stdout;
  let current: { key: K; progress: TrainProgress; label: string } | undefined;
  let index = -1;
  let fraction = 0;
  let started = 0;
  const run = { epochs: 0, startEpoch: 0 };
  const overall = (): number => (runs ? Math.min(1, (index + fraction) / runs) : NaN);
  const elapsed = (): number => (performance.now() - started) / 1000;
  const suffix = (): string => {
    if (!runs) return '';
    const f = overall();
    return ` | run ${index + 1}/${runs}, all runs ETA ${f > 0 ? formatSeconds(etaOf(elapsed(), f)) : '-'}`;
  };
  return {
    onEvent: (key, e) => {
      if (!current || current.key !== key) {
        current?.progress.stop();
        if (index < 0) started = performance.now();
        index++;
        fraction = 0;
        const label = labelOf(key);
        current = { key, label, progress: trainProgress(mode, label, { ...streams, suffix }) };
      }
      const f = runFraction(e, run);
      if (f !== undefined) fraction = Math.max(fraction, f);
      current.progress.onEvent(e);
      if (mode === 'json' && runs && e.type === 'epoch') {
        const done = overall() * runs;
        json.write(progressJson({ task: 'runs', done: Math.round(done * 1000) / 1000, total: runs }, elapsed(), current.label) + '\n');
      }
    },
    stop: () => current?.progress.stop(),
  };
}
