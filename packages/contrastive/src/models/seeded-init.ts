/**
 * Seeded weight initialisation: every layer of a ready encoder draws its own
 * seed from one {@link Rng}, so the same encoder seed gives the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';

/** A TF.js layers weight initializer. */
export type WeightInitializer = ReturnType<typeof tf.initializers.glorotUniform>;

/** Hands out seeded initializers, one independent seed per call. */
export class SeededInit {
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** A fresh seed for a layer's random choice (initializer or dropout). */
  nextSeed(): number {
    // Keep it in the safe 31-bit range that TF.js seeds comfortably take.
    return this.rng.nextUint32() >>> 1;
  }

  /** Glorot-uniform kernel initializer (the Keras default). */
  glorot(): WeightInitializer {
    return tf.initializers.glorotUniform({ seed: this.nextSeed() });
  }

  /** He-normal initializer, suited to relu layers. */
  he(): WeightInitializer {
    return tf.initializers.heNormal({ seed: this.nextSeed() });
  }

  /**
   * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for a kernel: PyTorch's default for conv and
   * linear layers (kaiming-uniform with a = sqrt(5)), a variance a third of LeCun's.
   */
  fanInUniform(): WeightInitializer {
    return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: this.nextSeed() });
  }

  /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for the bias of a layer with `fanIn` inputs per unit (PyTorch's default bias). */
  fanInUniformBias(fanIn: number): WeightInitializer {
    const b = 1 / Math.sqrt(fanIn);
    return tf.initializers.randomUniform({ minval: -b, maxval: b, seed: this.nextSeed() });
  }

  /** Orthogonal initializer, for recurrent kernels. */
  orthogonal(): WeightInitializer {
    return tf.initializers.orthogonal({ seed: this.nextSeed() });
  }
}
