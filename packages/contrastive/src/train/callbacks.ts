/**
 * Callbacks: how a caller watches (and may stop) a training run. The CLI's
 * progress bar and JSON lines are such callbacks, fed through {@link TrainEvent}s.
 */
import type { EpochRecord } from './history.js';

/** What `onTrainBegin` receives. @group Training */
export interface TrainBeginInfo {
  epochs: number;
  /** Epochs already done (non-zero when resuming). */
  startEpoch: number;
  stepsPerEpoch: number;
}

/** What `onBatchEnd` receives after each optimiser step. @group Training */
export interface BatchInfo {
  /** 1-based epoch, as in {@link EpochRecord}. */
  epoch: number;
  /** 0-based step within the epoch. */
  step: number;
  steps: number;
  /** The batch's loss. */
  loss: number;
}

/**
 * Hooks into a training run. Each may be async (the trainer awaits it).
 * `onEpochEnd` returning 'stop' ends training after that epoch: the epoch is
 * recorded and checkpointed, and the best weights are restored as usual.
 * @group Training
 */
export interface TrainCallbacks {
  /** Called once before the first epoch (after a resume, before the first epoch still to run). */
  onTrainBegin?(info: TrainBeginInfo): void | Promise<void>;
  /** Called after every optimiser step with the batch's loss. */
  onBatchEnd?(info: BatchInfo): void | Promise<void>;
  /** Called after every epoch's validation with its record; return 'stop' to end training there. */
  onEpochEnd?(record: EpochRecord): void | 'stop' | Promise<void | 'stop'>;
}

/** Progress events, for a progress bar or JSON lines. @group Training */
export type TrainEvent =
  | { type: 'start'; epochs: number; startEpoch: number; stepsPerEpoch: number }
  /** `epoch` is 0-based here (1-based in records). */
  | { type: 'step'; epoch: number; step: number; steps: number; loss: number }
  | { type: 'epoch'; record: EpochRecord }
  | { type: 'early-stop'; epoch: number; bestEpoch: number };

/** Callbacks that turn a run into {@link TrainEvent}s for `onEvent` ('early-stop' comes from the trainer itself). @group Training */
export function eventCallbacks(onEvent: (event: TrainEvent) => void): TrainCallbacks {
  return {
    onTrainBegin: (info) => onEvent({ type: 'start', ...info }),
    onBatchEnd: (b) => onEvent({ type: 'step', epoch: b.epoch - 1, step: b.step, steps: b.steps, loss: b.loss }),
    onEpochEnd: (record) => onEvent({ type: 'epoch', record }),
  };
}

/** The callbacks option as a list. */
export function callbackList(callbacks: TrainCallbacks | TrainCallbacks[] | undefined): TrainCallbacks[] {
  if (callbacks === undefined) return [];
  return Array.isArray(callbacks) ? callbacks : [callbacks];
}
