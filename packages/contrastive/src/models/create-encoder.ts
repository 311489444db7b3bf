/** Builds a ready encoder from its serialisable spec. */
import { ContrastiveError } from '../errors.js';
import { cnnEncoder } from './cnn-encoder.js';
import type { Encoder, EncoderSpec } from './encoder-spec.js';
import { mlpEncoder } from './mlp-encoder.js';
import { sequenceEncoder } from './sequence-encoder.js';

/**
 * Builds the encoder a spec describes (dispatching on `spec.kind`), freshly
 * initialised from `spec.seed`: the same spec gives the same initial weights.
 * Accepts the spec of a bundle manifest or of {@link Encoder.spec}.
 * @group Encoders
 */
export function createEncoder(spec: EncoderSpec): Encoder {
  switch (spec?.kind) {
    case 'mlp':
      return mlpEncoder(spec);
    case 'cnn':
      return cnnEncoder(spec);
    case 'sequence':
      return sequenceEncoder({ ...spec, kind: spec.cell });
    default:
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `createEncoder: spec.kind is '${String((spec as { kind?: unknown } | undefined)?.kind)}' (expected 'mlp', 'cnn' or 'sequence')`,
      );
  }
}
