/**
 * Progress output for long work: a progress bar with loss and ETA on a
 * terminal, one line per epoch otherwise, or JSON lines with --json. Epochs
 * are counted from 1 everywhere (step events and epoch records alike).
 */
import cliProgress from 'cli-progress';
import type { TrainEvent } from 'contrastive/internal/train/index.js';
import { warn, jsonText } from './output.js';

export type ProgressMode = 'bar' | 'lines' | 'json';

/** Picks the mode: JSON lines when asked, a bar on a terminal, plain lines otherwise. */
export function progressMode(json: boolean | undefined): ProgressMode {
  if (json) return 'json';
  return process.stderr.isTTY ? 'bar' : 'lines';
}

function fmt(x: number | undefined, digits = 4): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** A trainer event as a JSON line: step events count epochs from 1, as epoch records do. */
export function eventJson(e: TrainEvent, run?: string): string {
  const shown = e.type === 'step' ? { ...e, epoch: e.epoch + 1, step: e.step + 1 } : e;
  return jsonText(run === undefined ? shown : { run, ...shown });
}

/** A listener for trainer events that prints them in `mode`, with `label` before each line. */
export interface TrainProgress {
  onEvent: (e: TrainEvent) => void;
  stop: () => void;
}

/** A listener for one training run's events, printed in `mode`, each line starting with `label` when given. */
export function trainProgress(mode: ProgressMode, label = ''): TrainProgress {
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
      process.stdout.write(eventJson(e, label || undefined) + '\n');
      return;
    }
    switch (e.type) {
      case 'start':
        epochs = e.epochs;
        if (e.startEpoch > 0) warn(`${prefix}resuming after epoch ${e.startEpoch}\n`);
        break;
      case 'step':
        if (mode !== 'bar') return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: `${prefix}epoch {epoch}/{epochs} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}`,
              stream: process.stderr,
              hideCursor: true,
              clearOnComplete: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.steps, 0, { epoch: e.epoch + 1, epochs, loss: fmt(e.loss) });
        }
        bar.update(e.step + 1, { epoch: e.epoch + 1, epochs, loss: fmt(e.loss) });
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
        warn(parts.join(' | ') + '\n');
        if (r.alarm) warn(`${prefix}warning: ${r.alarm}\n`);
        break;
      }
      case 'early-stop':
        warn(`${prefix}early stop after epoch ${e.epoch}: no improvement since epoch ${e.bestEpoch}\n`);
        break;
    }
  };
  return { onEvent, stop };
}

/**
 * Progress of a command that trains several runs one after another (compare,
 * margin): a fresh {@link trainProgress} labelled `labelOf(key)` whenever the
 * run key changes. `onEvent(key, e)` is the job's listener; call `stop()` in a finally.
 */
export function multiRunProgress<K>(mode: ProgressMode, labelOf: (key: K) => string): { onEvent: (key: K, e: TrainEvent) => void; stop: () => void } {
  let current: { key: K; progress: TrainProgress } | undefined;
  return {
    onEvent: (key, e) => {
      if (!current || current.key !== key) {
        current?.progress.stop();
        current = { key, progress: trainProgress(mode, labelOf(key)) };
      }
      current.progress.onEvent(e);
    },
    stop: () => current?.progress.stop(),
  };
}
