/**
 * @contrastive/cli: the `contrastive` command and its HTTP server, and the whole
 * workflows behind them (train a run directory, compare losses, sweep margins,
 * evaluate and calibrate a bundle, embed, build and search an index, faces,
 * signatures), each one call.
 *
 * @packageDocumentation
 * @module @contrastive/cli
 */
export * from './jobs/index.js';
export * from './serve/index.js';
