/**
 * The cross-entropy baseline's head (Koch, Zemel, Salakhutdinov 2015): the
 * probability that two inputs are the same is sigmoid(w . |e1 - e2| + b), trained
 * with binary cross-entropy on the same pairs as the contrastive loss. Its
 * "distance" for verification is the negated logit, so smaller still means more
 * similar and the same metrics and thresholds apply.
 */
import * as tf from '@tensorflow/tfjs';

/** Serialisable weights of a {@link KochHead}. @group Training */
export interface KochHeadWeights {
  weights: number[];
  bias: number;
}

/** The cross-entropy baseline's head: p(same) = sigmoid(w . |e1 - e2| + b) on a pair's embeddings. @group Training */
export class KochHead {
  readonly w: tf.Variable;
  readonly b: tf.Variable;

  constructor(embeddingDim: number, init?: KochHeadWeights) {
    // Negative initial weights make the initial logit of "same" fall as |e1 - e2| grows, as it should.
    const w0 = init ? Float32Array.from(init.weights) : new Float32Array(embeddingDim).fill(-1 / Math.sqrt(embeddingDim));
    this.w = tf.variable(tf.tensor1d(w0), true);
    this.b = tf.variable(tf.scalar(init?.bias ?? 1), true);
  }

  /** Logit of "same" for each pair of rows: w . |e1 - e2| + b, shape [N]. */
  logits(e1: tf.Tensor2D, e2: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.add(tf.sum(tf.mul(tf.abs(tf.sub(e1, e2)), this.w), 1), this.b) as tf.Tensor1D);
  }

  /**
   * Mean binary cross-entropy. `labels` use the library convention (0 similar,
   * 1 dissimilar), so the target probability of "same" is 1 - label.
   */
  loss(e1: tf.Tensor2D, e2: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => tf.losses.sigmoidCrossEntropy(tf.sub(1, labels), this.logits(e1, e2)) as tf.Scalar);
  }

  /** Dissimilarity for verification: the negated logit (monotone in 1 - p(same)). */
  distances(e1: tf.Tensor2D, e2: tf.Tensor2D): Float32Array {
    return tf.tidy(() => tf.neg(this.logits(e1, e2)).dataSync() as Float32Array);
  }

  get variables(): tf.Variable[] {
    return [this.w, this.b];
  }

  /** The head's weights as plain numbers (what a bundle manifest stores). */
  toJSON(): KochHeadWeights {
    return { weights: Array.from(this.w.dataSync()), bias: this.b.dataSync()[0] };
  }

  /** Frees the head's variables. */
  dispose(): void {
    this.w.dispose();
    this.b.dispose();
  }
}
