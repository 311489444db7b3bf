/**
 * Contrastive-loss conventions as explicit presets. The library's own
 * convention (labels 0 = similar, 1 = dissimilar, factor 1/2) is 'hadsell';
 * the others exist so that numbers from other libraries can be reproduced,
 * and change the meaning of the labels only when chosen by name.
 */
import { check } from '../errors.js';

/**
 * With D the distance, m the margin and y the label of a pair:
 * - `'hadsell'` (default; Hadsell, Chopra, LeCun 2006), y = 0 similar, y = 1 dissimilar:
 *   L = (1 - y) * 1/2 * D^2 + y * 1/2 * max(0, m - D)^2.
 * - `'tfa'` (TensorFlow Addons `tfa.losses.contrastive_loss`), y = 1 similar, y = 0 dissimilar, no 1/2:
 *   L = y * D^2 + (1 - y) * max(0, m - D)^2.
 * - `'keras-io'` (the keras.io example "Image similarity estimation using a Siamese
 *   Network with a contrastive loss"), its formula as written, no 1/2:
 *   L = (1 - y) * D^2 + y * max(0, m - D)^2, so y = 0 is pulled together and y = 1 pushed
 *   past the margin. (That example's `make_pairs` labels matching pairs 1 and feeds the loss a
 *   sigmoid output rather than a distance; we follow the formula, not the data labels.)
 * @group Losses
 */
export type ContrastiveConvention = 'hadsell' | 'tfa' | 'keras-io';

/** Every {@link ContrastiveConvention}. @group Losses */
export const CONVENTIONS: readonly ContrastiveConvention[] = ['hadsell', 'tfa', 'keras-io'];

/** What a convention means: which label pulls a pair together, and the factor in front of both terms. */
export interface ConventionRule {
  /** The label value of a similar pair (its loss is scale * D^2). */
  similarLabel: 0 | 1;
  /** Factor in front of both terms: 1/2 for 'hadsell', 1 otherwise. */
  scale: number;
}

const RULES: Record<ContrastiveConvention, ConventionRule> = {
  hadsell: { similarLabel: 0, scale: 0.5 },
  tfa: { similarLabel: 1, scale: 1 },
  'keras-io': { similarLabel: 0, scale: 1 },
};

/** The {@link ConventionRule} of `convention`; throws a ContrastiveError naming `fn` for an unknown one. */
export function conventionRule(convention: unknown, fn: string): ConventionRule {
  check(
    typeof convention === 'string' && (CONVENTIONS as readonly string[]).includes(convention),
    fn,
    `unknown convention '${String(convention)}' (expected one of ${CONVENTIONS.join(', ')})`,
  );
  return RULES[convention as ContrastiveConvention];
}
