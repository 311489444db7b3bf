/** Builds a ready encoder from its spec or its options: the one dispatch on the encoder kind. */
import { ContrastiveError } from '../errors.js';
import { cnnEncoder, type CnnEncoderOptions } from './cnn-encoder.js';
import type { Encoder, EncoderSpec } from './encoder-spec.js';
import { mlpEncoder, type MlpEncoderOptions } from './mlp-encoder.js';
import { sequenceEncoder, type SequenceEncoderOptions } from './sequence-encoder.js';

/**
 * What {@link createEncoder} builds: a full {@link EncoderSpec} (a bundle
 * manifest's, or {@link Encoder.spec}), or a `kind` with that encoder's options,
 * the unset ones taking the encoder's defaults (a sequence encoder's cell is
 * `cell`, as in its spec).
 * @group Encoders
 */
export type EncoderRequest =
  | EncoderSpec
  | ({ kind: 'mlp' } & MlpEncoderOptions)
  | ({ kind: 'cnn' } & CnnEncoderOptions)
  | ({ kind: 'sequence'; cell?: SequenceEncoderOptions['kind'] } & Omit<SequenceEncoderOptions, 'kind'>);

/**
 * Builds the encoder a spec or request describes (dispatching on `kind`),
 * freshly initialised from its `seed`: the same spec gives the same initial
 * weights. Accepts the spec of a bundle manifest or of {@link Encoder.spec},
 * or a kind with options (`{ kind: 'cnn', inputShape: [28, 28, 1], seed: 1 }`).
 * @group Encoders
 */
export function createEncoder(spec: EncoderRequest): Encoder {
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
