/**
 * A set of signatures by writer: genuine signatures and skilled forgeries of
 * each writer (random forgeries are other writers' genuine signatures, so they
 * need no files of their own).
 */
import { check } from 'contrastive/internal/errors.js';
import type { Trajectory } from './trajectory.js';

/** One online signature with its writer and kind. @group Reading and writing */
export interface SignatureSample {
  /** Index of the writer in {@link SignatureSet.writers}. */
  writer: number;
  /** true for a skilled forgery of the writer's signature, false for a genuine one. */
  forged: boolean;
  trajectory: Trajectory;
  /** File (or generator description) the signature came from, for messages. */
  source: string;
}

/** Signatures of several writers. @group Reading and writing */
export interface SignatureSet {
  /** Writer names (folder names, or w001... for synthetic sets), indexed by SignatureSample.writer. */
  writers: string[];
  samples: SignatureSample[];
}

/**
 * Who wrote what, as flat arrays: the form pair construction and evaluation
 * take (they work on any signatures, online or offline, given these).
 * @group Reading and writing
 */
export interface SignatureLabels {
  /** Writer index of each signature. */
  writer: Int32Array;
  /** 1 for a skilled forgery, 0 for a genuine signature. */
  forged: Uint8Array;
}

/** The {@link SignatureLabels} of a set's samples, in order. @group Reading and writing */
export function signatureLabels(set: SignatureSet): SignatureLabels {
  return {
    writer: Int32Array.from(set.samples, (s) => s.writer),
    forged: Uint8Array.from(set.samples, (s) => (s.forged ? 1 : 0)),
  };
}

/** Checks that `labels` describe `count` signatures with matching arrays. */
export function checkSignatureLabels(labels: SignatureLabels, fn: string, count?: number): void {
  check(labels && labels.writer instanceof Int32Array && labels.forged instanceof Uint8Array, fn, 'labels must be { writer: Int32Array, forged: Uint8Array }');
  check(labels.writer.length === labels.forged.length, fn, `labels.writer has ${labels.writer.length} entries but labels.forged ${labels.forged.length}`);
  if (count !== undefined) check(labels.writer.length === count, fn, `labels describe ${labels.writer.length} signatures but there are ${count}`);
}
