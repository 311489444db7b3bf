/**
 * Training throughput of a Siamese step, 128 pairs (256 images) per step, contrastive
 * loss (margin 1, 0 = similar), Adam lr 1e-3, for two encoders:
 * - cnn: the reference Siamese CNN, 28x28x1 -> conv32 3x3 relu -> maxpool 2 -> conv64 3x3
 *   relu -> maxpool 2 -> flatten -> dense128 relu -> dense64;
 * - mlp: the default `contrastive train` encoder, 784 -> dense512 relu -> dense256 relu -> dense64.
 * The project (SiameseNetwork + contrastiveLoss on TF.js wasm with the project's kernels)
 * beside PyTorch CPU with 2 threads on the same architecture, batch and optimizer, run back
 * to back (project, then reference) for each encoder. Warm-up excluded, median of the timed
 * steps. With --rounds R each encoder is measured R times and the ratio range printed (the
 * JSON line then carries the median ratio). Ends with one JSON line whose `ratio` is the
 * smaller of the two encoders' ratios.
 *
 * The dense layers' matmuls run on onnxruntime's native GEMM where it loads (the header and
 * the JSON line say which engine ran); `--native 0` (or CONTRASTIVE_NATIVE_MATMUL=0) runs
 * them on the wasm kernels.
 *
 * In Node the convolutions, the dense layers' GEMMs, relu and pooling run on our native addon
 * (csrc/native, built at install) where it loaded; the header and the JSON line's `kernels` say
 * so; `--native-kernels 0` (or CONTRASTIVE_NATIVE_KERNELS=0) runs them on the wasm kernels.
 *
 *   npm run bench:train [-- --iters 10 --rounds 3 --models cnn,mlp --threads 2 --native 0 --native-kernels 0 --backend wasm]
 */
import * as tf from '@tensorflow/tfjs';
import { adamOptimizer, convEngine, initBackend, matMulEngine, setKernelThreads, setNativeKernels, setNativeMatMul, type BackendName } from '../packages/node/src/engine/index.js';
import { cnnEncoder, mlpEncoder, SiameseNetwork } from '../packages/contrastive/src/models/index.js';
import { contrastiveLoss } from '../packages/contrastive/src/losses/index.js';
import { median, printTable, runTorchReference } from './lib/torch-reference.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const pairs = Number(opt('pairs', '128'));
const iters = Number(opt('iters', '10'));
const warmup = Number(opt('warmup', '3'));
const rounds = Math.max(1, Number(opt('rounds', '1')));
const models = opt('models', 'cnn,mlp').split(',') as ('cnn' | 'mlp')[];
const backend = await initBackend(opt('backend', 'wasm') as BackendName);
// --threads 1: the project without its helper thread beside PyTorch on one thread (a per-core
// comparison, less distorted than two threads when other processes load the machine).
const threads = Number(opt('threads', '2'));
setKernelThreads(threads);
if (opt('native', '1') === '0') setNativeMatMul(false);
if (opt('native-kernels', '1') === '0') setNativeKernels(false);
const images = 2 * pairs;

interface Round { project: number; projectMs: number; torch: number | null; torchMs: number | null; note: string; firstLoss: number; lastLoss: number }

/** Times `iters` training steps of a fresh network (same seed each round) on the project. */
async function projectRound(model: 'cnn' | 'mlp'): Promise<{ ms: number[]; firstLoss: number; lastLoss: number }> {
  const encoder = model === 'cnn'
    ? cnnEncoder({ inputShape: [28, 28, 1], seed: 1 })
    : mlpEncoder({ inputShape: [784], hidden: [512, 256], embeddingDim: 64, seed: 1 });
  const network = new SiameseNetwork(encoder);
  const optimizer = adamOptimizer(1e-3); // the trainer's Adam (one-pass update on wasm)
  const x = tf.randomUniform(model === 'cnn' ? [images, 28, 28, 1] : [images, 784], 0, 1, 'float32', 1);
  const labels = tf.cast(tf.greater(tf.randomUniform([pairs], 0, 1, 'float32', 2), 0.5), 'float32');
  const step = async (): Promise<number> => {
    const loss = optimizer.minimize(() => {
      const e = network.embed(x, { training: true });
      const [a, b] = tf.split(e, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
      return contrastiveLoss(a, b, labels, { margin: 1 }) as tf.Scalar;
    }, true)!;
    const v = (await loss.data())[0];
    loss.dispose();
    return v;
  };
  const ms: number[] = [];
  let firstLoss = NaN;
  let lastLoss = NaN;
  try {
    for (let i = 0; i < warmup + iters; i++) {
      const t0 = performance.now();
      lastLoss = await step();
      if (i === 0) firstLoss = lastLoss;
      if (i >= warmup) ms.push(performance.now() - t0);
    }
  } finally {
    tf.dispose([x, labels]);
    optimizer.dispose();
    encoder.model.dispose();
  }
  if (!Number.isFinite(lastLoss)) throw new Error(`train: non-finite loss ${lastLoss} (${model})`);
  return { ms, firstLoss, lastLoss };
}

const results: Record<string, Round[]> = {};
try {
  for (const model of models) {
    results[model] = [];
    for (let r = 0; r < rounds; r++) {
      const p = await projectRound(model);
      const ref = runTorchReference('train', { pairs, warmup, iters, threads, model });
      results[model].push({
        project: (images * 1000) / median(p.ms), projectMs: median(p.ms),
        torch: ref.result?.imagesPerSecond ?? null, torchMs: ref.result ? median(ref.result.timesMs) : null,
        note: ref.note, firstLoss: p.firstLoss, lastLoss: p.lastLoss,
      });
    }
  }
} catch (err) {
  console.error(`train: the ${backend} backend cannot run the training step: ${(err as Error).message}`);
  console.log(JSON.stringify({ bench: 'train', project: null, reference: null, unit: 'images/s', ratio: null, cnnRatio: null, mlpRatio: null, error: (err as Error).message }));
  process.exit(1);
}

const names = { cnn: 'CNN (conv32-conv64-fc128-fc64)', mlp: 'MLP (784-512-256-64)' };
console.log(`train: Siamese step, ${threads} thread(s) each, ${pairs} pairs (${images} images), contrastive loss, Adam; median of ${iters} steps (warm-up ${warmup}); ${rounds} round(s), project then PyTorch back to back`);
const rows: string[][] = [];
const summary: Record<string, { project: number; torch: number | null; ratio: number | null }> = {};
for (const model of models) {
  const rs = results[model];
  rs.forEach((r, i) => {
    const ratio = r.torch ? r.project / r.torch : null;
    rows.push([`${model} #${i + 1}`, r.project.toFixed(0), r.projectMs.toFixed(1), r.torch ? r.torch.toFixed(0) : 'n/a', r.torchMs ? r.torchMs.toFixed(1) : '-', ratio ? ratio.toFixed(2) + 'x' : '-']);
  });
  const ratios = rs.filter((r) => r.torch).map((r) => r.project / r.torch!);
  summary[model] = {
    project: median(rs.map((r) => r.project)),
    torch: ratios.length ? median(rs.filter((r) => r.torch).map((r) => r.torch!)) : null,
    ratio: ratios.length ? median(ratios) : null,
  };
  console.log(`${names[model]}: loss ${rs[0].firstLoss.toFixed(4)} -> ${rs[0].lastLoss.toFixed(4)}` +
    (ratios.length ? `; ratio range ${Math.min(...ratios).toFixed(2)}x-${Math.max(...ratios).toFixed(2)}x` : ''));
}
const engine = matMulEngine();
const kernelsEngine = convEngine();
const nativeName = kernelsEngine.engine === 'native' ? `native-${kernelsEngine.isa}` : 'wasm';
const matmul = backend !== 'wasm' ? `${backend} backend` : engine.engine === 'onnxruntime' ? `onnxruntime native GEMM, ${engine.threads} thread(s)` : `wasm kernels (${engine.reason})`;
console.log(`kernels: ${backend !== 'wasm' ? `${backend} backend` : kernelsEngine.engine === 'native' ? `our native addon (${kernelsEngine.isa}): convolutions, dense GEMMs, relu, pooling` : `wasm (${kernelsEngine.reason})`}`);
console.log(`matmul engine for the cases the addon does not take: ${matmul}`);
printTable(['encoder', `TF.js ${backend} images/s`, 'ms/step', `PyTorch ${threads}T images/s`, 'ms/step', 'ratio'], rows);
console.log(`reference: ${results[models[0]][0].note}`);

const round2 = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v.toFixed(2)));
const modelRatios = models.map((m) => summary[m].ratio).filter((r): r is number => r !== null);
// The headline figures are the encoder with the smaller ratio (the one furthest from the goal).
const worst = models.reduce((w, m) => ((summary[m].ratio ?? Infinity) < (summary[w].ratio ?? Infinity) ? m : w), models[0]);
console.log(JSON.stringify({
  bench: 'train',
  project: Math.round(summary[worst].project),
  reference: summary[worst].torch === null ? null : Math.round(summary[worst].torch!),
  unit: 'images/s',
  ratio: modelRatios.length === models.length ? round2(Math.min(...modelRatios)) : null,
  cnnRatio: round2(summary.cnn?.ratio),
  mlpRatio: round2(summary.mlp?.ratio),
  matmul: backend === 'wasm' ? engine.engine : backend,
  kernels: backend === 'wasm' ? nativeName : backend,
}));
