/**
 * Resuming: the trainer's state, and writing and restoring it with the weights,
 * the optimiser's state and the best epoch's weights, so that a resumed run
 * ends with the same weights as an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from '../errors.js';
import type { SiameseNetwork } from '../models/index.js';
import { saveCheckpoint, loadCheckpoint, hasCheckpoint, checkpointStoreOf, type CheckpointTarget } from './checkpoint.js';
import type { EpochRecord } from './history.js';
import type { KochHead } from './koch-head.js';
import { adamPowers, restoreAdamPowers } from './optimizer.js';

/** Where a run stands; saved in every checkpoint. */
export interface TrainerState {
  epochsDone: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number;
  sinceBest: number;
  stoppedEarly: boolean;
  seconds: number;
  /** The untrained network's validation (epoch 0), with `validateUntrained`. */
  untrained?: EpochRecord;
  /** The settings the run was made with (see `configKey`). */
  configKey: string;
}

/** The state of a run that has not started. */
export function freshState(configKey: string): TrainerState {
  return { epochsDone: 0, history: [], bestEpoch: -1, bestScore: -Infinity, sinceBest: 0, stoppedEarly: false, seconds: 0, configKey };
}

/** What the trainer holds besides its state: the pieces a checkpoint saves. */
export interface TrainedParts {
  network: SiameseNetwork;
  head?: KochHead;
  optimizer: tf.Optimizer;
}

/** The settings that differ between two config keys, as "name: saved -> now". */
function changedSettings(saved: string, now: string): string[] {
  let a: Record<string, unknown>;
  let b: Record<string, unknown>;
  try {
    a = JSON.parse(saved) as Record<string, unknown>;
    b = JSON.parse(now) as Record<string, unknown>;
  } catch {
    return [];
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k === 'scheduleEpochs' ? 'epochs' : k}: ${show(a[k])} -> ${show(b[k])}`);
}

/**
 * Loads the checkpoint in `target` into `parts` and returns its state and the best
 * epoch's weights. Throws when there is none, or when it was made with settings
 * other than `configKey` (naming the settings that changed).
 */
export async function restoreCheckpoint(target: CheckpointTarget, configKey: string, parts: TrainedParts): Promise<{ state: TrainerState; bestWeights?: tf.Tensor[] }> {
  const store = checkpointStoreOf(target);
  const dir = store.location;
  if (!(await hasCheckpoint(store))) {
    throw new ContrastiveError('NOT_FOUND', `train: { resume: true } was given but ${dir} holds no checkpoint`);
  }
  const ck = await loadCheckpoint<TrainerState>(store);
  if (ck.state.configKey !== configKey) {
    for (const g of Object.values(ck.groups)) g.forEach((t) => t.tensor.dispose());
    const changed = changedSettings(ck.state.configKey, configKey);
    const which = changed.length > 0 ? ` (changed: ${changed.join(', ')})` : '';
    throw new ContrastiveError('STATE', `train: the checkpoint in ${dir} was made with other settings${which}; resume with the same settings, or start a new run in another directory`);
  }
  const { network, head, optimizer } = parts;
  network.setWeights((ck.groups.model ?? []).map((t) => t.tensor));
  if (head && ck.groups.head) {
    head.w.assign(ck.groups.head[0].tensor as tf.Tensor1D);
    head.b.assign(ck.groups.head[1].tensor as tf.Scalar);
  }
  if (ck.groups.optimizer) await optimizer.setWeights(ck.groups.optimizer);
  restoreAdamPowers(optimizer, ck.groups.optimizerPowers);
  for (const t of ck.groups.model ?? []) t.tensor.dispose();
  for (const t of ck.groups.head ?? []) t.tensor.dispose();
  return { state: ck.state, bestWeights: ck.groups.best?.map((t) => t.tensor) };
}

/** Writes the run's checkpoint to `target` (as one unit). */
export async function writeCheckpoint(target: CheckpointTarget, state: TrainerState, parts: TrainedParts, bestWeights: tf.Tensor[] | undefined): Promise<void> {
  const { network, head, optimizer } = parts;
  const optWeights = await optimizer.getWeights();
  await saveCheckpoint(target, state, {
    model: network.getWeights().map((tensor, k) => ({ name: `w${k}`, tensor })),
    ...(head ? { head: [{ name: 'w', tensor: head.w }, { name: 'b', tensor: head.b }] } : {}),
    optimizer: optWeights,
    ...adamPowers(optimizer),
    ...(bestWeights ? { best: bestWeights.map((tensor, k) => ({ name: `w${k}`, tensor })) } : {}),
  });
  // getWeights() makes a fresh scalar of the iteration count; the rest are the optimizer's own variables
  optWeights.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose());
}
