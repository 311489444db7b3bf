/**
 * One interface for the kinds of training batch (offline pairs, mined class
 * batches): the trainer's loop minimises whatever loss a batch builds, so it
 * exists once, whatever the batches are.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng.js';

/** Augments `rows` raw examples in place (e.g. random shifts). @group Training */
export type Augment = (buf: Float32Array, rows: number) => void;

/** One training batch: its inputs are on the backend; `loss` runs inside `optimizer.minimize`. @group Training */
export interface TrainingBatch {
  /** Forward pass and loss of the batch (the trainer differentiates it). */
  loss(): tf.Scalar;
  /** Frees the batch's tensors. */
  dispose(): void;
}

/** How one epoch's batches are drawn. @group Training */
export interface BatchStrategy {
  /** Optimiser steps per epoch. */
  readonly stepsPerEpoch: number;
  /**
   * The batches of one epoch, drawn from `rng` (which depends only on seed and epoch).
   * Asynchronous where the examples are read from disk; the trainer iterates it with `for await`.
   */
  epoch(rng: Rng, augment: Augment | undefined): Iterable<TrainingBatch> | AsyncIterable<TrainingBatch>;
}
