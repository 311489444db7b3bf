/**
 * The rules between the loss and the options that depend on it (miner, margins,
 * cross-batch memory, mining batch size), each stated once with one message.
 * The trainer checks them on its options; the CLI checks them on its flags
 * before any work (it rewrites `{ option }` as the flag). Free of TensorFlow.js.
 */
import { ContrastiveError } from '../errors.js';
import { PAIR_MINER_NAMES, TRIPLET_MINER_NAMES } from '../miners/names.js';
import { optionValue } from './options.js';
import type { LossName } from './choices.js';

/** How the rules see a loss or miner given as a function (no name can look like it). @group Training */
export const FUNCTION = '(function)';

/** The options a loss rule reads, as given (undefined: not given). @group Training */
export interface LossRuleInput {
  /** A loss name, or {@link FUNCTION} for a loss function of your own. */
  loss: LossName | typeof FUNCTION;
  /** A miner name, or {@link FUNCTION} for a miner function. */
  miner?: string;
  margin?: number;
  posMargin?: number;
  memorySize?: number;
  mPerClass?: number;
}

/** One rule between the loss and another option. @group Training */
export interface LossOptionRule {
  /** The rule's name (for tests and for callers that pick rules). */
  name: string;
  /**
   * Whether the trainer checks it. The others refuse an option the trainer
   * would silently ignore (a margin for cross-entropy, a mining batch size for
   * offline pairs): only a caller that knows which options were given can tell.
   */
  trainer: boolean;
  /** The problem, or undefined when the rule holds. */
  problem(o: LossRuleInput): string | undefined;
}

const quoted = (names: readonly string[]): string => names.map((s) => `'${s}'`).join(', ');
const minerText = (miner: string): string => (miner === FUNCTION ? 'a miner function' : optionValue('miner', miner));
const lossText = (loss: LossRuleInput['loss']): string => (loss === FUNCTION ? 'a loss function' : `the ${loss} loss`);
const mines = (o: LossRuleInput): boolean => o.loss === FUNCTION || o.loss === 'triplet' || o.miner !== undefined;

/** Every rule between the loss and the options that depend on it. @group Training */
export const LOSS_OPTION_RULES: readonly LossOptionRule[] = [
  {
    name: 'miner-cross-entropy',
    trainer: true,
    problem: (o) =>
      o.miner !== undefined && o.loss === 'cross-entropy'
        ? `${minerText(o.miner)} does not apply to the cross-entropy loss: its head trains on offline pairs; drop the miner or use the contrastive or triplet loss`
        : undefined,
  },
  {
    name: 'miner-loss-function',
    trainer: true,
    problem: (o) =>
      o.miner !== undefined && o.loss === FUNCTION
        ? `${minerText(o.miner)} does not apply to a loss function (it receives the whole class batch and does its own mining); drop the miner`
        : undefined,
  },
  {
    name: 'pair-miner',
    trainer: true,
    problem: (o) =>
      o.loss === 'contrastive' && o.miner !== undefined && o.miner !== FUNCTION && !(PAIR_MINER_NAMES as readonly string[]).includes(o.miner)
        ? `${minerText(o.miner)} is not a pair miner; the contrastive loss takes ${quoted(PAIR_MINER_NAMES)}`
        : undefined,
  },
  {
    name: 'triplet-miner',
    trainer: true,
    problem: (o) =>
      o.loss === 'triplet' && o.miner !== undefined && o.miner !== FUNCTION && !(TRIPLET_MINER_NAMES as readonly string[]).includes(o.miner)
        ? `${minerText(o.miner)} is not a triplet miner; the triplet loss takes ${quoted(TRIPLET_MINER_NAMES)}`
        : undefined,
  },
  {
    name: 'margin-cross-entropy',
    trainer: false,
    problem: (o) => (o.margin !== undefined && o.loss === 'cross-entropy' ? `{ margin } does not apply to the cross-entropy loss (it has no margin)` : undefined),
  },
  {
    name: 'm-per-class-offline',
    trainer: false,
    problem: (o) =>
      o.mPerClass !== undefined && !mines(o)
        ? `{ mPerClass } sizes mining batches; ${lossText(o.loss)}${o.loss === 'contrastive' ? ' without a { miner }' : ''} trains on offline pairs`
        : undefined,
  },
  {
    name: 'pos-margin-contrastive',
    trainer: true,
    problem: (o) => (o.posMargin && o.loss !== 'contrastive' ? `{ posMargin } applies to the contrastive loss only, not ${lossText(o.loss)}` : undefined),
  },
  {
    name: 'pos-margin-below-margin',
    trainer: true,
    problem: (o) =>
      o.posMargin !== undefined && o.margin !== undefined && o.posMargin >= o.margin
        ? `${optionValue('posMargin', o.posMargin)} must be below the margin (${o.margin})`
        : undefined,
  },
  {
    name: 'memory-needs-miner',
    trainer: true,
    problem: (o) =>
      o.memorySize && (o.loss !== 'contrastive' || o.miner === undefined)
        ? 'a cross-batch memory needs the contrastive loss with an in-batch miner ({ memorySize } adds pairs to the ones { miner } mines)'
        : undefined,
  },
];

/** The first problem among `rules` (default: all), or undefined. @group Training */
export function lossOptionProblem(o: LossRuleInput, rules: readonly LossOptionRule[] = LOSS_OPTION_RULES): string | undefined {
  for (const rule of rules) {
    const problem = rule.problem(o);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Throws `fn: <problem>` for the first rule of `rules` (default: all) that fails. @group Training */
export function checkLossOptionRules(o: LossRuleInput, fn: string, rules: readonly LossOptionRule[] = LOSS_OPTION_RULES): void {
  const problem = lossOptionProblem(o, rules);
  if (problem !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${problem}`);
}

/** The rules the trainer checks (the others need to know which options were given). @group Training */
export const TRAINER_LOSS_RULES: readonly LossOptionRule[] = LOSS_OPTION_RULES.filter((r) => r.trainer);

/** A loss or miner as the rules see it: its name, or FUNCTION. @group Training */
export function ruleName<T extends string>(piece: T | ((...args: never[]) => unknown)): T | typeof FUNCTION;
export function ruleName<T extends string>(piece: T | ((...args: never[]) => unknown) | undefined): T | typeof FUNCTION | undefined;
export function ruleName<T extends string>(piece: T | ((...args: never[]) => unknown) | undefined): T | typeof FUNCTION | undefined {
  return typeof piece === 'function' ? FUNCTION : piece;
}
