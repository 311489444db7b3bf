/**
 * Training on more images than fit in memory: one epoch over a `folder:` set of
 * (default) 200,000 images of 64x64x3 streamed from disk, with the peak resident
 * memory of the training process beside what the same set needs held as float32
 * (9,375 MB before the first step).
 *
 * The set is generated once and cached under bench/out/ (gitignored): 1,000 classes
 * of 200 binary PPM images (12 KB each, about 2.4 GB in all; netpbm is what the
 * loader reads fastest and what needs no encoder), each class a smooth colour
 * pattern of its own plus seeded noise. The training runs in a child process, so
 * its peak RSS (process.resourceUsage().maxRSS, the kernel's VmHWM) counts only
 * the loading, the epoch and the validation.
 *
 * The model is deliberately small (an MLP 12,288 -> 64 -> 32, L2-normalised; say
 * `--model cnn` for the default CNN): the target is memory, not speed. The epoch is
 * the trainer's default (as many pairs as the training split has images, 128 a
 * step); 1% of each class is a validation split, scored at the
 * epoch's end on 1,000 pairs, streamed too.
 *
 *   npm run bench:memory [-- --images 200000 --size 64 --storage stream --cache-mb 256 --model mlp --pairs N]
 *
 * Ends with one JSON line: { bench: 'memory', images, imageShape, storage,
 * inMemoryFloat32MB, peakRssMB, epochSeconds, ... }.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const images = Number(opt('images', '200000'));
const size = Number(opt('size', '64'));
const perClass = Number(opt('per-class', '200'));
const storage = opt('storage', 'stream') as 'stream' | 'uint8' | 'float32';
const cacheMB = Number(opt('cache-mb', '256'));
const model = opt('model', 'mlp') as 'mlp' | 'cnn';
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(opt('dir', path.join(here, 'out', `memory-${images}-${size}`)));
const classes = Math.ceil(images / perClass);

/** Writes the image set unless a complete one is there already (its marker names the count). */
async function ensureImages(): Promise<void> {
  const marker = path.join(dir, '.complete');
  if ((await fs.readFile(marker, 'utf8').catch(() => '')) === String(images)) return;
  const t0 = Date.now();
  console.log(`generating ${images} images of ${size}x${size}x3 in ${dir} (once; cached) ...`);
  const header = Buffer.from(`P6\n${size} ${size}\n255\n`);
  let seed = 12345;
  const rand = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  // noise comes from one table at a random offset per image: the pixel loop is an add, not a random draw
  const noise = Int8Array.from({ length: 1 << 16 }, () => Math.round(60 * (rand() - 0.5)));
  const pixels = size * size * 3;
  const jobs: Promise<void>[] = [];
  for (let c = 0; c < classes; c++) {
    const cdir = path.join(dir, `c${String(c).padStart(4, '0')}`);
    await fs.mkdir(cdir, { recursive: true });
    // each class a smooth pattern of its own: two frequencies and a colour
    const fx = 1 + (c % 7);
    const fy = 1 + ((c * 3) % 5);
    const tint = [(c * 37) % 256, (c * 91) % 256, (c * 53) % 256];
    const base = new Float32Array(pixels);
    for (let y = 0, o = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const wave = 0.5 + 0.5 * Math.sin((fx * x + fy * y) * 0.2);
        for (let ch = 0; ch < 3; ch++) base[o++] = tint[ch] * wave;
      }
    }
    for (let i = 0; i < perClass && c * perClass + i < images; i++) {
      const px = Buffer.alloc(header.length + pixels);
      header.copy(px);
      const at = Math.floor(rand() * (noise.length - pixels));
      for (let k = 0; k < pixels; k++) px[header.length + k] = Math.max(0, Math.min(255, base[k] + noise[at + k]));
      jobs.push(fs.writeFile(path.join(cdir, `${String(i).padStart(4, '0')}.ppm`), px));
      if (jobs.length >= 64) await Promise.all(jobs.splice(0));
    }
    if (c % 100 === 99) console.log(`  ${(c + 1) * perClass} images, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  await Promise.all(jobs);
  await fs.writeFile(marker, String(images));
  console.log(`generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** The child: load the folder with the storage asked for, train one epoch, print one JSON line of figures. */
async function trainPhase(): Promise<void> {
  const { initBackend, loadImageFolder, streamCacheStats } = await import('../packages/node/src/index.js');
  const { SiameseNetwork, cnnEncoder, mlpEncoder, splitDataset, trainSiamese, examplesOf } = await import('../packages/contrastive/src/index.js');
  await initBackend('wasm');
  const t0 = Date.now();
  const data = await loadImageFolder(dir, { width: size, height: size, channels: 3, storage, cacheBytes: cacheMB * 2 ** 20 });
  const loadSeconds = (Date.now() - t0) / 1000;
  const split = splitDataset(data, { seed: 1, validation: 0.01, test: 0 });
  const shape = [size, size, 3];
  const encoder = model === 'cnn' ? cnnEncoder({ inputShape: shape, seed: 1 }) : mlpEncoder({ inputShape: shape, hidden: [64], embeddingDim: 32, seed: 1 });
  const network = new SiameseNetwork(encoder, { normalize: true });
  const pairs = opt('pairs', '');
  let steps = 0;
  const t1 = Date.now();
  const run = await trainSiamese(
    network,
    { train: split.train, validation: split.validation },
    { epochs: 1, batchSize: 128, margin: 0.5, learningRate: 1e-3, seed: 1, validationPairs: 1000, ...(pairs ? { pairsPerEpoch: Number(pairs) } : {}) },
    (e) => {
      if (e.type === 'step' && ++steps % 200 === 0) console.log(`  step ${steps}, ${((Date.now() - t1) / 1000).toFixed(0)} s, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`);
    },
  );
  const epochSeconds = (Date.now() - t1) / 1000;
  const stats = streamCacheStats(examplesOf(split.train));
  console.log(JSON.stringify({
    child: true,
    trainImages: split.train.labels.length,
    validationImages: split.validation.labels.length,
    loadSeconds,
    epochSeconds,
    steps,
    trainLoss: run.history[0].trainLoss,
    validationAuc: run.history[0].validation?.auc ?? null,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    cache: stats ? { capMB: cacheMB, peakMB: Math.round(stats.peakBytes / 2 ** 20), decodes: stats.decodes } : null,
  }));
}

if (args.includes('--child')) {
  await trainPhase();
} else {
  await ensureImages();
  console.log(`training one epoch on ${images} images of ${size}x${size}x3, storage '${storage}'${storage === 'stream' ? `, cache ${cacheMB} MB` : ''}, model ${model}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args, '--child'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = '';
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.startsWith('{"child"')) last = line;
      else if (line) console.log(line);
    }
  });
  const code: number = await new Promise((resolve) => child.on('close', resolve));
  const inMemoryFloat32MB = Math.round((images * size * size * 3 * 4) / 2 ** 20);
  if (code !== 0 || !last) {
    console.log(JSON.stringify({ bench: 'memory', images, imageShape: [size, size, 3], storage, inMemoryFloat32MB, peakRssMB: null, epochSeconds: null, error: `training exited with code ${code}` }));
    process.exit(1);
  }
  const r = JSON.parse(last) as { peakRssMB: number; epochSeconds: number; loadSeconds: number; trainImages: number; validationImages: number; steps: number; trainLoss: number; validationAuc: number | null; cache: unknown };
  console.log(`\n  set                      ${images} images ${size}x${size}x3 (${r.trainImages} train, ${r.validationImages} validation)`);
  console.log(`  held as float32 would be ${inMemoryFloat32MB} MB`);
  console.log(`  peak RSS (${storage})     ${r.peakRssMB} MB   (target <= 2048 MB at 200,000 images)`);
  console.log(`  epoch                    ${r.epochSeconds.toFixed(0)} s (${r.steps} steps), listing ${r.loadSeconds.toFixed(1)} s; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(JSON.stringify({
    bench: 'memory',
    images,
    imageShape: [size, size, 3],
    storage,
    model,
    inMemoryFloat32MB,
    peakRssMB: r.peakRssMB,
    epochSeconds: Math.round(r.epochSeconds * 10) / 10,
    steps: r.steps,
    trainLoss: r.trainLoss,
    validationAuc: r.validationAuc,
    cache: r.cache,
    loadAverage: os.loadavg()[0],
  }));
}
