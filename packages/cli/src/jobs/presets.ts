/**
 * Named training configurations: a bundle of job options measured together
 * (see docs/results/zero-shot.md). Options the caller sets win over the
 * preset's; the preset wins over the job's defaults.
 */
import { check } from 'contrastive/internal/errors.js';
import type { RunTrainingOptions } from './run-training.js';

/** Names `--preset` accepts. @group Training */
export const PRESET_NAMES = ['zero-shot'] as const;
/** A preset name. @group Training */
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * The options of each preset.
 *
 * - `zero-shot`: embeddings for classes never seen in training (new people,
 *   new writers, new products), chosen on Fashion-MNIST classes 0-4 -> 5-9 with
 *   class-disjoint validation: the reference cnn read under its dense head (the
 *   flattened last conv block, L2-normalised), learning rate 1e-3, 2 epochs, an
 *   epoch kept only if it beats the untrained network on validation, 40 % of the
 *   seen classes for validation (when classes are held out), the threshold on
 *   cohort S-normalised scores (`scoreNorm: 's-norm'`); see the tables of
 *   docs/results/zero-shot.md.
 * @group Training
 */
export const PRESETS: Readonly<Record<PresetName, RunTrainingOptions>> = {
  'zero-shot': {
    encoder: 'cnn',
    validationClasses: 0.4,
    // The dense head specialises to the training classes; the conv block under it
    // transfers, and training improves it (docs/results/zero-shot.md).
    readout: 'under-head',
    // Distances of unseen classes sit on another scale than the validation classes': a
    // threshold on S-normalised scores transfers where one on distances does not (docs/results/zero-shot.md).
    scoreNorm: 's-norm',
    train: {
      learningRate: 1e-3,
      epochs: 2,
      validateUntrained: true,
    },
  },
};

/**
 * `options` on top of preset `name`: every option set (not undefined) in
 * `options` wins, nested `train` and `load` settings included; the preset's
 * `validationClasses` apply only when `holdoutClasses` are given (class-disjoint
 * validation needs held-out test classes), and not with `validationFolds` (the folds are
 * the validation classes).
 *
 * @throws ContrastiveError for an unknown preset name.
 * @group Training
 */
export function withPreset(name: string, options: RunTrainingOptions = {}): RunTrainingOptions {
  check((PRESET_NAMES as readonly string[]).includes(name), 'preset', `unknown preset '${name}' (expected ${PRESET_NAMES.join(', ')})`);
  const preset = PRESETS[name as PresetName];
  const merged: RunTrainingOptions = { ...preset, ...defined(options) };
  merged.train = { ...preset.train, ...defined(options.train ?? {}) };
  merged.load = { ...preset.load, ...defined(options.load ?? {}) };
  if (!merged.holdoutClasses?.length && options.validationClasses === undefined) delete merged.validationClasses;
  // Class folds choose the validation classes themselves.
  if (options.validationFolds !== undefined && options.validationClasses === undefined) delete merged.validationClasses;
  return merged;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
