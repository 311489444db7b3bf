/** A small trained MNIST bundle and digit PNGs for the serve tests. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { runTraining } from '../../packages/cli/src/jobs/run-training.js';
import { openBundle, bundleSplit, type OpenBundle } from '../../packages/cli/src/jobs/evaluate-bundle.js';
import { type LabelledDataset } from '../../packages/contrastive/src/data/index.js';

export interface ServeFixture {
  bundleDir: string;
  bundle: OpenBundle;
  test: LabelledDataset;
  /** PNG file of test row `i` (28x28 grey), written on first use. */
  png(i: number): Promise<string>;
  /** First test row of class `c` at or after position `from`. */
  rowOf(c: number, from?: number): number;
}

/** Trains a 784-64-16 MLP for two short epochs (a few seconds) into `dir`/run. */
export async function serveFixture(dir: string): Promise<ServeFixture> {
  const run = await runTraining({
    report: false, // the page serves the bundle; the training report is test/integration/report-browser's
    dataset: 'mnist',
    encoder: 'mlp',
    hidden: [64],
    embeddingDim: 16,
    backend: 'wasm',
    out: path.join(dir, 'run'),
    train: { epochs: 2, pairsPerEpoch: 3000, seed: 5 },
  });
  run.network.dispose();
  const bundle = await openBundle(run.bundleDir);
  const test = (await bundleSplit(bundle, 'mnist', 'test')).data as LabelledDataset;
  return {
    bundleDir: run.bundleDir,
    bundle,
    test,
    async png(i) {
      const file = path.join(dir, `test-${i}.png`);
      const px = Buffer.from(Array.from(test.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
      await fs.access(file).catch(() => sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file));
      return file;
    },
    rowOf(c, from = 0) {
      for (let i = from; i < test.labels.length; i++) if (test.labels[i] === c) return i;
      throw new Error(`no test row of class ${c}`);
    },
  };
}
