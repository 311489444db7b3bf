import { calibrateThreshold, fitPlatt } from '../eval/index.js';
import type { NumericInput } from '../eval/inputs.js';
import type { NetworkCalibration } from '../models/siamese-network.js';

/**
 * The calibration a network records: the threshold of best accuracy on labelled
 * validation scores (distances, a head's negated logits or S-normalised scores) and
 * p(same) fitted on the same scores. The trainer and the S-norm job both build it here.
 */
export function accuracyCalibration(scores: NumericInput, labels: ArrayLike<number>, dataset: string): NetworkCalibration {
  const best = calibrateThreshold(scores, labels, { kind: 'accuracy' });
  const platt = fitPlatt(scores, labels);
  return {
    threshold: best.threshold,
    target: 'accuracy',
    accuracy: best.accuracy,
    dataset,
    pairs: labels.length,
    probability: { model: 'logistic', a: platt.a, b: platt.b },
  };
}
