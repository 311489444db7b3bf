/**
 * The signature jobs' defaults, apart from the jobs so that the CLI can show
 * them in --help without loading TensorFlow.js.
 */

/** The demo's defaults: sized to run in a few minutes on 2 cores. @group Signatures */
export const SIGNATURE_DEMO_DEFAULTS = {
  writers: 100,
  genuine: 20,
  forgeries: 10,
  testWriters: 30,
  validationWriters: 10,
  length: 64,
  pairs: 6000,
  skilledShare: 0.5,
  epochs: 10,
  batchSize: 64,
  learningRate: 1e-3,
  margin: 0.5,
  embeddingDim: 32,
  filters: [32, 64],
  seed: 1,
} as const;
