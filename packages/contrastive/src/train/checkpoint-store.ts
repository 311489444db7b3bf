/** Where checkpoints are kept: the store interface, apart from the format (checkpoint.ts) so the platform stores depend on it alone. */

/** The two pieces of a checkpoint as bytes: what a {@link CheckpointStore} keeps. @group Training */
export interface CheckpointFiles {
  /** `state.json`: the format, the trainer state and the tensor table. */
  state: string;
  /** `tensors.bin`: the tensors' raw data, concatenated. */
  tensors: Uint8Array;
}

/**
 * Where checkpoints are kept. `write` replaces the previous checkpoint as one unit (a
 * crash never leaves half of one); `read` returns null when there is none.
 * @group Training
 */
export interface CheckpointStore {
  /** Where, in words, for messages (a directory, `indexeddb://name`, `memory`). */
  readonly location: string;
  write(files: CheckpointFiles): Promise<void>;
  read(): Promise<CheckpointFiles | null>;
}
