/**
 * The optimiser and its learning-rate schedule: made by name, the rate set per
 * epoch from (base, schedule, epoch, epochs) only, so a resumed run gets the same
 * rates as an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from '../errors.js';
import { adamOptimizer } from '@contrastive/kernels';
import { OPTIMIZER_NAMES, type LrSchedule, type OptimizerName } from './choices.js';

/** The learning rate of `epoch` (0-based) of `epochs`: depends on nothing else, so resuming keeps it. @group Training */
export function learningRateAt(base: number, schedule: LrSchedule, epoch: number, epochs: number): number {
  if (schedule === 'cosine') return (base * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
  return base;
}

/** The optimiser called `name` at learning rate `lr` ('sgd' is SGD with momentum 0.9). @group Training */
export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return adamOptimizer(lr); // tf.train.adam with a one-pass update on wasm, same results
    case 'sgd':
      return tf.train.momentum(lr, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    default:
      throw new ContrastiveError('INVALID_ARGUMENT', `train: unknown optimizer '${String(name)}' (expected ${OPTIMIZER_NAMES.join(', ')})`);
  }
}

/** Disposes an optimiser; TF.js's momentum optimiser forgets the -lr scalar it inherits from SGD. @group Training */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

/** Sets the learning rate an optimiser uses from its next step on. @group Training */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // SGD/momentum cache -lr in a tensor and expose setLearningRate; Adam and RMSProp read the field each step.
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** The learning rate an optimiser will use for its next step. @group Training */
export function currentLearningRate(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/**
 * Adam keeps beta1^t and beta2^t as running products; its setWeights recomputes
 * them with pow(), which differs in the last bits. Saving the products makes a
 * resumed run bit-identical to an uninterrupted one.
 */
type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

/** Adam's running beta powers as a checkpoint tensor group (empty for other optimisers). */
export function adamPowers(optimizer: tf.Optimizer): { optimizerPowers?: Array<{ name: string; tensor: tf.Tensor }> } {
  const o = optimizer as unknown as AdamInternals;
  if (!o.accBeta1 || !o.accBeta2) return {};
  return { optimizerPowers: [{ name: 'accBeta1', tensor: o.accBeta1 }, { name: 'accBeta2', tensor: o.accBeta2 }] };
}

/** Restores what {@link adamPowers} saved. */
export function restoreAdamPowers(optimizer: tf.Optimizer, saved: Array<{ name: string; tensor: tf.Tensor }> | undefined): void {
  const o = optimizer as unknown as AdamInternals;
  if (!saved || !o.accBeta1 || !o.accBeta2) return;
  for (const { name, tensor } of saved) {
    if (name === 'accBeta1') o.accBeta1.assign(tensor as tf.Scalar);
    if (name === 'accBeta2') o.accBeta2.assign(tensor as tf.Scalar);
  }
}
