/**
 * Fashion-MNIST (Zalando, MIT): 60,000 train + 10,000 test images of 28x28
 * pixels, 10 kinds of article, as gzipped IDX files. Debian's package
 * `dataset-fashion-mnist` installs them in {@link FASHION_MNIST_DEBIAN_DIR}.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { loadIdxDataset, type IdxSplit } from './idx.js';
import type { LabelledDataset } from 'contrastive/internal/data/types.js';

/** Where `apt-get install dataset-fashion-mnist` puts the files. @group Datasets */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** The article names, indexed by label. @group Datasets */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Options of {@link loadFashionMnist}. @group Datasets */
export interface FashionMnistOptions {
  /** Folder holding the IDX files; default {@link FASHION_MNIST_DEBIAN_DIR}. */
  dataDir?: string;
  /** 'train' (60,000), 'test' (10,000) or 'all' (70,000, train first). Default 'train'. */
  split?: IdxSplit;
}

async function hasImages(dir: string, prefix: string): Promise<boolean> {
  for (const n of [`${prefix}-images-idx3-ubyte.gz`, `${prefix}-images-idx3-ubyte`]) {
    if (await fs.stat(path.join(dir, n)).then((s) => s.isFile(), () => false)) return true;
  }
  return false;
}

/**
 * Loads Fashion-MNIST from `dataDir`, or from the Debian package's location
 * when no `dataDir` is given. inputShape [28, 28, 1], pixels in [0, 1], labels
 * 0-9 with {@link FASHION_MNIST_CLASSES} as classNames, sources
 * 'fashion-mnist:<split>:<index>'.
 *
 * @throws ContrastiveError NOT_FOUND naming the folder looked at and the apt
 *   package when the files are absent; the IDX errors of {@link loadIdxDataset}.
 * @group Datasets
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<LabelledDataset> {
  const dir = options.dataDir ?? FASHION_MNIST_DEBIAN_DIR;
  const split = options.split ?? 'train';
  const prefixes = split === 'test' ? ['t10k'] : split === 'train' ? ['train'] : ['train', 't10k'];
  for (const p of prefixes) {
    if (!(await hasImages(dir, p))) {
      const where = options.dataDir ? `${dir} (the { dataDir } given)` : `${dir} (the Debian location)`;
      throw new ContrastiveError(
        'NOT_FOUND',
        `loadFashionMnist: no ${p}-images-idx3-ubyte(.gz) in ${where}; install the files with ` +
          `'apt-get install dataset-fashion-mnist' (they go to ${FASHION_MNIST_DEBIAN_DIR}) or pass dataDir ` +
          `pointing at a folder with train-/t10k-images-idx3-ubyte.gz and train-/t10k-labels-idx1-ubyte.gz`,
      );
    }
  }
  return loadIdxDataset(dir, { split, name: 'fashion-mnist', classNames: [...FASHION_MNIST_CLASSES] });
}
