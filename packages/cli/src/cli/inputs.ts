/**
 * The A and B arguments of `contrastive verify`: an image file, or a row of a
 * dataset named as the loaders name their examples.
 *
 *     path/to/image.png          an image file (any form decodeImage reads)
 *     DATASET:INDEX              row INDEX of the dataset as loaded (mnist: the 10,000 digits;
 *                                fashion-mnist: the 60,000 rows of its train file)
 *     DATASET:SPLIT:INDEX        row INDEX of the train | validation | test split of DATASET as the
 *                                bundle's training run split it (one meaning for every dataset)
 *     fashion-mnist:t10k:INDEX   row INDEX of the Fashion-MNIST test file (0..9999)
 *
 * An existing file always wins, so a file that happens to be called 'mnist:3' is read as a file.
 */
import { existsSync } from 'node:fs';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { echoValue } from 'contrastive/internal/util/format.js';
import type { PairInput } from '../jobs/verify-pair.js';

/** The row forms, for help texts and messages. */
export const ROW_FORMS = 'mnist:INDEX, fashion-mnist:INDEX, DATASET:train|validation|test:INDEX (a split of the bundle\'s training run), fashion-mnist:t10k:INDEX';

const ROW = /^(mnist|fashion-mnist)(?::([a-z0-9]+))?:([^:]*)$/;

/** Parses one verify argument (`which` is 'A' or 'B', for messages). */
export function parsePairInput(text: string, which: string): PairInput {
  if (existsSync(text)) return { kind: 'file', path: text };
  const m = ROW.exec(text);
  if (!m) return { kind: 'file', path: text }; // reported as a missing file when read
  const [, dataset, part, index] = m as unknown as [string, 'mnist' | 'fashion-mnist', string | undefined, string];
  if (!/^\d+$/.test(index)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `verify: ${which} '${echoValue(text)}': the row index must be a non-negative integer, got '${echoValue(index)}' (forms: ${ROW_FORMS})`);
  }
  const parts = dataset === 'mnist' ? ['train', 'validation', 'test'] : ['train', 'validation', 'test', 't10k'];
  if (part !== undefined && !parts.includes(part)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `verify: ${which} '${echoValue(text)}': unknown part '${echoValue(part)}' of ${dataset} (expected ${parts.join(', ')}; forms: ${ROW_FORMS})`);
  }
  return { kind: 'row', dataset, part: part as 'train' | 'validation' | 'test' | 't10k' | undefined, index: Number(index) };
}
