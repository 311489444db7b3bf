/**
 * Training a Siamese network in a browser page: the `contrastive` core and TensorFlow.js,
 * nothing else (no server beyond the static files, no Node). The page draws a seeded set of
 * shape images (shapes.ts), trains a Siamese MLP or CNN with the contrastive loss on the
 * backend you pick (wasm with our kernels, webgl, cpu), shows the loss and the validation AUC
 * as it goes, checkpoints every epoch to IndexedDB and resumes from there after a reload.
 *
 * Build and open it: `npm run example:browser -- --serve` (see docs/guides/browser.md).
 * `window.contrastiveExample` exposes {@link trainExample} for the console (and the test).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  SiameseNetwork,
  cnnEncoder,
  hasCheckpoint,
  indexedDbCheckpointStore,
  mlpEncoder,
  splitDataset,
  trainSiamese,
  useBackend,
  type EpochRecord,
  type TrainResult,
} from 'contrastive';
import { SHAPE_NAMES, shapesDataset } from './shapes.js';

// The build copies tfjs-backend-wasm's .wasm files to wasm/ beside this bundle; a bundled
// wasm backend cannot find them by itself (setBackend('wasm') would resolve false).
setWasmPaths(new URL('./wasm/', import.meta.url).href);

/** The backends the page offers: wasm means the wasm backend with our kernels registered. */
export type ExampleBackend = 'wasm' | 'webgl' | 'cpu';
/** The two encoders the page trains. */
export type ExampleModel = 'mlp' | 'cnn';

/** Where a run stands, after each step and each epoch. */
export interface ExampleProgress {
  model: ExampleModel;
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** 0-based step within the epoch. */
  step: number;
  steps: number;
  /** The step's loss. */
  loss: number;
  /** The epoch's record, after its validation (the last step of an epoch). */
  record?: EpochRecord;
}

/** Options of {@link trainExample}; the sizes default to the page's (the test passes small ones). */
export interface ExampleOptions {
  model: ExampleModel;
  backend: ExampleBackend;
  /** Continue from the checkpoint in IndexedDB (it must exist and match these options). */
  resume?: boolean;
  /** IndexedDB name of the checkpoint; default `contrastive-example-<model>`. */
  checkpoint?: string;
  /** Aborting it stops training within one step; the last finished epoch stays checkpointed. */
  signal?: AbortSignal;
  onProgress?: (progress: ExampleProgress) => void;
  /** Image side in pixels (default 28). */
  size?: number;
  /** Images per class (default 160: 1,280 images, 80 % for training). */
  perClass?: number;
  epochs?: number;
  pairsPerEpoch?: number;
  batchSize?: number;
  learningRate?: number;
  /** Validation pairs drawn from the validation split each epoch (default 2,000); 0 trains without validation. */
  validationPairs?: number;
  /** MLP hidden layers (default [128]). */
  hidden?: number[];
  /** CNN conv filters (default [16, 32]). */
  filters?: number[];
  /** CNN dense layer (default 64). */
  dense?: number;
  /** Embedding size (default 32). */
  embeddingDim?: number;
}

/** What {@link trainExample} returns: the trained network (the caller disposes it) and the run. */
export interface ExampleRun {
  network: SiameseNetwork;
  result: TrainResult;
  /** The epoch the run started from (non-zero after a resume). */
  startEpoch: number;
  /** The loss of every step this call ran. */
  losses: number[];
  backend: string;
}

const DATA_SEED = 7;
const TRAIN_SEED = 42;

/** Trains one Siamese network on the shapes, checkpointing each epoch to IndexedDB. */
export async function trainExample(options: ExampleOptions): Promise<ExampleRun> {
  const { model, signal, onProgress } = options;
  const backend = await useBackend(options.backend); // our kernels on 'wasm'; a clear error where the backend cannot run

  const store = indexedDbCheckpointStore(options.checkpoint ?? `contrastive-example-${model}`);
  if (!options.resume) await store.clear(); // a fresh run must not be mixed up with an old one

  const size = options.size ?? 28;
  const images = shapesDataset({ perClass: options.perClass ?? 160, size, seed: DATA_SEED });
  const { train, validation } = splitDataset(images, { seed: DATA_SEED, validation: 0.2, test: 0 });

  const embeddingDim = options.embeddingDim ?? 32;
  const encoder = model === 'mlp'
    ? mlpEncoder({ inputShape: [size, size, 1], hidden: options.hidden ?? [128], embeddingDim, seed: 1 })
    : cnnEncoder({ inputShape: [size, size, 1], filters: options.filters ?? [16, 32], dense: options.dense ?? 64, embeddingDim, seed: 1 });
  const network = new SiameseNetwork(encoder);

  const losses: number[] = [];
  let startEpoch = 0;
  let epochs = 0;
  try {
    const validationPairs = options.validationPairs ?? 2000;
    const result = await trainSiamese(network, validationPairs > 0 ? { train, validation } : { train }, {
      epochs: options.epochs ?? 6,
      pairsPerEpoch: options.pairsPerEpoch ?? 2048,
      batchSize: options.batchSize ?? 64,
      learningRate: options.learningRate ?? 1e-3,
      validationPairs: Math.max(2, validationPairs),
      margin: 1,
      seed: TRAIN_SEED,
      patience: 0, // train every epoch: the page shows the whole curve
      checkpointStore: store,
      resume: options.resume ?? false,
      callbacks: {
        onTrainBegin: (info) => {
          startEpoch = info.startEpoch;
          epochs = info.epochs;
        },
        onBatchEnd: (b) => {
          losses.push(b.loss);
          onProgress?.({ model, epoch: b.epoch, epochs, step: b.step, steps: b.steps, loss: b.loss });
          signal?.throwIfAborted(); // ends the run here; the trainer has checkpointed every finished epoch
        },
        onEpochEnd: (record) => {
          onProgress?.({ model, epoch: record.epoch, epochs, step: -1, steps: 0, loss: record.trainLoss, record });
        },
      },
    });
    return { network, result, startEpoch, losses, backend };
  } catch (err) {
    network.dispose();
    throw err;
  }
}

// ---- the page ----

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Draws a few images of each class, one row per class, so the reader sees the task. */
function drawSamples(canvas: HTMLCanvasElement): void {
  const size = 28;
  const perRow = 10;
  const data = shapesDataset({ perClass: perRow, size, seed: DATA_SEED + 1 });
  canvas.width = perRow * size;
  canvas.height = SHAPE_NAMES.length * size;
  const ctx = canvas.getContext('2d')!;
  const seen = new Array(SHAPE_NAMES.length).fill(0);
  data.labels.forEach((c, n) => {
    const pixels = new ImageData(size, size);
    for (let i = 0; i < size * size; i++) {
      const v = Math.round(255 * (1 - data.x[n * size * size + i]));
      pixels.data.set([v, v, v, 255], 4 * i);
    }
    ctx.putImageData(pixels, seen[c]++ * size, c * size);
  });
}

async function refreshResumeButtons(): Promise<void> {
  for (const model of ['mlp', 'cnn'] as const) {
    const saved = await hasCheckpoint(indexedDbCheckpointStore(`contrastive-example-${model}`));
    $<HTMLButtonElement>(`resume-${model}`).disabled = !saved || running !== null;
  }
}

let running: AbortController | null = null;

function setRunning(controller: AbortController | null): void {
  running = controller;
  for (const id of ['train-mlp', 'train-cnn', 'backend']) $<HTMLButtonElement>(id).disabled = controller !== null;
  $<HTMLButtonElement>('stop').disabled = controller === null;
}

function addRow(model: ExampleModel, record: EpochRecord): void {
  const row = $<HTMLTableElement>('epochs').insertRow(-1);
  const auc = record.validation ? record.validation.auc.toFixed(3) : '-';
  for (const text of [model.toUpperCase(), String(record.epoch), record.trainLoss.toFixed(4), auc, record.seconds.toFixed(1)]) row.insertCell().textContent = text;
}

async function runFromPage(model: ExampleModel, resume: boolean): Promise<void> {
  const controller = new AbortController();
  setRunning(controller);
  await refreshResumeButtons();
  const backend = $<HTMLSelectElement>('backend').value as ExampleBackend;
  const status = $('status');
  const bar = $<HTMLProgressElement>('progress');
  status.textContent = `${resume ? 'resuming' : 'training'} the ${model.toUpperCase()} on ${backend}...`;
  try {
    const run = await trainExample({
      model,
      backend,
      resume,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.record) {
          addRow(model, p.record);
          return;
        }
        bar.max = p.epochs * p.steps;
        bar.value = (p.epoch - 1) * p.steps + p.step + 1;
        status.textContent = `${model.toUpperCase()} on ${backend}: epoch ${p.epoch}/${p.epochs}, step ${p.step + 1}/${p.steps}, loss ${p.loss.toFixed(4)}`;
      },
    });
    const last = run.result.history.at(-1);
    const auc = last?.validation ? last.validation.auc.toFixed(3) : 'n/a';
    status.textContent = `${model.toUpperCase()} done on ${run.backend}: validation AUC ${auc} (best epoch ${run.result.bestEpoch}, ${run.result.seconds.toFixed(1)} s${run.startEpoch ? `, resumed at epoch ${run.startEpoch + 1}` : ''})`;
    run.network.dispose();
  } catch (err) {
    status.textContent = controller.signal.aborted
      ? `stopped; the last finished epoch is saved in IndexedDB: press Resume ${model.toUpperCase()}`
      : `error: ${(err as Error).message}`;
  } finally {
    setRunning(null);
    await refreshResumeButtons();
  }
}

async function startPage(): Promise<void> {
  drawSamples($<HTMLCanvasElement>('samples'));
  $('classes').textContent = SHAPE_NAMES.join(', ');
  for (const model of ['mlp', 'cnn'] as const) {
    $(`train-${model}`).addEventListener('click', () => void runFromPage(model, false));
    $(`resume-${model}`).addEventListener('click', () => void runFromPage(model, true));
  }
  $('stop').addEventListener('click', () => running?.abort());
  setRunning(null);
  await refreshResumeButtons();
  document.body.dataset.ready = 'true';
}

/** What the page exposes for the console and the test. */
export interface ExampleGlobal {
  trainExample: typeof trainExample;
  shapesDataset: typeof shapesDataset;
  indexedDbCheckpointStore: typeof indexedDbCheckpointStore;
  tf: typeof tf;
}

(globalThis as unknown as { contrastiveExample: ExampleGlobal }).contrastiveExample = { trainExample, shapesDataset, indexedDbCheckpointStore, tf };
if (typeof document !== 'undefined' && document.getElementById('samples')) void startPage();
