/** Pairs of example indices with their similarity labels: what the pair samplers draw and the miners' pairs flatten to. */

/** Index pairs into a set of examples with their similarity labels (0 similar, 1 dissimilar). @group Samplers */
export interface IndexPairs {
  i: Int32Array;
  j: Int32Array;
  labels: Uint8Array;
}
