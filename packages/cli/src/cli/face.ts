/** `contrastive face ...`: face verification with the pretrained pipeline or a trained face bundle. */
import type { Command } from 'commander';
import { ContrastiveError } from 'contrastive/internal/errors.js';
// Only modules without TF.js at the top: the help is built without loading a tensor engine; actions import the rest.
import { BACKEND_CHOICES, type BackendChoice } from '@contrastive/node/internal/engine/names.js';
import { FACE_DETECTORS, type FaceDetectorName } from '@contrastive/faces/internal/engine.js';
import type { FaceModel } from '@contrastive/faces/internal/pretrained.js';
import type { FaceCache } from '@contrastive/faces/internal/cache.js';
import { nonNegativeInt, oneOf, positiveInt, positiveNumber } from './options.js';
import { resolveModelDir } from './bundle-options.js';
import { plural, signed, say, jsonText } from './output.js';
import { progressMode, taskProgress } from './progress.js';

interface FaceVerifyCliOptions {
  model?: string;
  faceA?: number;
  faceB?: number;
  threshold?: number;
  detector?: FaceDetectorName;
  cache: boolean;
  cacheDir?: string;
  backend: BackendChoice;
  json?: boolean;
}

async function modelOf(o: { model?: string; threshold?: number; detector?: FaceDetectorName }): Promise<FaceModel> {
  if (o.model && o.detector) throw new ContrastiveError('INVALID_ARGUMENT', `--detector applies to the pretrained descriptor only; the bundle ${o.model} uses the detector it was trained with`);
  if (o.model) return (await import('@contrastive/faces/internal/model.js')).loadFaceModel(resolveModelDir(o.model), { threshold: o.threshold });
  return (await import('@contrastive/faces/internal/pretrained.js')).pretrainedFaceModel({ threshold: o.threshold, pipeline: o.detector ? { detector: o.detector } : {} });
}

/** The backend, chosen before any face-api call. */
async function start(backend: BackendChoice): Promise<void> {
  await (await import('@contrastive/node/internal/engine/backend.js')).initBackend(backend);
}

async function cacheOf(o: { cache: boolean; cacheDir?: string }): Promise<FaceCache | false> {
  return o.cache ? new (await import('@contrastive/faces/internal/cache.js')).FaceCache(o.cacheDir) : false;
}

/** Warnings about a threshold (how and on what it was calibrated), one line each on stderr beside the figures printed. */
function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}

/** Photos left out, one line on stderr. */
function printSkipped(skipped: readonly { file: string }[]): void {
  if (skipped.length === 0) return;
  process.stderr.write(`skipped ${plural(skipped.length, 'photo')} without a face: ${skipped.slice(0, 5).map((s) => s.file).join(', ')}${skipped.length > 5 ? `, ... (${skipped.length - 5} more)` : ''}\n`);
}

const SKIP_NO_FACE_HELP = 'leave out photos in which the detector finds no face (listed on stderr) instead of failing';
const PRETRAINED_THRESHOLD_HELP = 'the pretrained descriptor with its default threshold, calibrated on augmented sample crops: calibrate on your people with face calibrate';

/** Registers `contrastive face verify|enroll|identify|calibrate`. */
export function registerFaceCommand(program: Command): void {
  const face = program.command('face').description('face verification: pretrained face-api descriptor, or a head trained with train --dataset faces:DIR; face calibrate chooses the threshold on your own people');
  face
    .command('verify')
    .description('are the faces in photos A and B the same person? (detect, align, describe, compare)')
    .argument('<A>', 'photo A')
    .argument('<B>', 'photo B')
    .option('--model <dir>', `face bundle from train --dataset faces:DIR, or its run directory (default: ${PRETRAINED_THRESHOLD_HELP})`)
    .option('--face-a <n>', 'which face of A, counted from 0 left to right, when it holds several', nonNegativeInt)
    .option('--face-b <n>', 'which face of B when it holds several', nonNegativeInt)
    .option('--threshold <t>', "accept as same when distance <= t (default: the model's threshold; the pretrained 0.4749 comes from augmented sample crops, face calibrate finds yours)", positiveNumber)
    .option('--detector <name>', `${FACE_DETECTORS.join(' | ')} (pretrained only; a bundle uses its own)`, oneOf(FACE_DETECTORS))
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object { distance, threshold, same, probability, faces: { a, b }, chosen, detector, warnings }')
    .action(async (a: string, b: string, o: FaceVerifyCliOptions) => {
      await start(o.backend);
      const { verifyFaces } = await import('@contrastive/faces/internal/verify.js');
      const model = await modelOf(o);
      try {
        const r = await verifyFaces(a, b, { model, faceA: o.faceA, faceB: o.faceB, cache: await cacheOf(o) });
        if (o.json) {
          process.stdout.write(
            jsonText({ distance: r.distance, threshold: r.threshold, same: r.same, probability: r.probability, faces: r.faces, chosen: r.chosen, detector: r.detector, warnings: r.warnings }) + '\n',
          );
        } else {
          const p = r.probability === null ? '' : `, p(same) ${r.probability.toFixed(4)}`;
          const which = `A face ${r.chosen.a} of ${r.faces.a.length}, B face ${r.chosen.b} of ${r.faces.b.length}`;
          say(`${r.same ? 'same person' : 'different people'}: distance ${r.distance.toFixed(4)} ${r.same ? '<=' : '>'} threshold ${r.threshold.toFixed(4)}${p} (${which}; ${model.source === 'pretrained' ? 'pretrained descriptor' : `model ${model.source}`}, ${r.detector})\n`,
          );
          printWarnings(r.warnings);
        }
      } finally {
        model.dispose();
      }
    });

  face
    .command('enroll')
    .description('enrol the face in each photo under NAME in an embedding index (a SQLite file, created when missing, or a postgres:// URL)')
    .argument('<images...>', 'photos of the person, one face each')
    .requiredOption('--index <file>', 'index file (or postgres:// URL)')
    .requiredOption('--name <name>', "the person's name")
    .option('--model <dir>', 'face bundle (default: the pretrained descriptor); identify must use the same')
    .option('--face <n>', 'which face of each photo, counted from 0 left to right, when they hold several', nonNegativeInt)
    .option('--skip-no-face', `${SKIP_NO_FACE_HELP} (without it, nothing is enrolled)`)
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object (progress as JSON lines on stderr)')
    .action(async (images: string[], o: { index: string; name: string; model?: string; face?: number; skipNoFace?: boolean; cache: boolean; cacheDir?: string; backend: BackendChoice; json?: boolean }) => {
      await start(o.backend);
      const { enrollFaces } = await import('../jobs/face-identify.js');
      const progress = taskProgress(progressMode(o.json), { json: process.stderr });
      let r: Awaited<ReturnType<typeof enrollFaces>>;
      try {
        r = await enrollFaces(o.index, o.name, images, { model: o.model && resolveModelDir(o.model), face: o.face, skipNoFace: o.skipNoFace, cache: await cacheOf(o), onProgress: progress.onProgress });
      } finally {
        progress.stop();
      }
      if (o.json) {
        process.stdout.write(jsonText(r) + '\n');
        return;
      }
      say(`enrolled ${plural(r.added.length, 'face')} of ${r.name} (${r.enrolled} in all) in ${r.index}, which holds ${r.total}; faces found by the ${r.detector}\n`);
      printSkipped(r.skipped);
      printWarnings(r.warnings);
    });
  face
    .command('identify')
    .description('who is the face in PHOTO? the nearest enrolled person within the threshold, else unknown')
    .argument('<image>', 'photo')
    .requiredOption('--index <file>', 'index file (or postgres:// URL)')
    .option('--model <dir>', `face bundle the index was enrolled with (default: ${PRETRAINED_THRESHOLD_HELP})`)
    .option('--face <n>', 'which face of the photo when it holds several', nonNegativeInt)
    .option('--threshold <t>', "unknown beyond this distance (default: the model's threshold; the pretrained 0.4749 comes from augmented sample crops, face calibrate finds yours)", positiveNumber)
    .option('-k, --k <n>', 'nearest enrolled faces to list (default 5)', positiveInt)
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object { name, distance, threshold, probability, neighbours, faces, chosen, detector, warnings }')
    .action(async (image: string, o: { index: string; model?: string; face?: number; threshold?: number; k?: number; cache: boolean; cacheDir?: string; backend: BackendChoice; json?: boolean }) => {
      await start(o.backend);
      const { identifyFace } = await import('../jobs/face-identify.js');
      const r = await identifyFace(o.index, image, { model: o.model && resolveModelDir(o.model), face: o.face, threshold: o.threshold, k: o.k, cache: await cacheOf(o) });
      if (o.json) {
        process.stdout.write(jsonText(r) + '\n');
      } else {
        const p = r.probability === null ? '' : `, p(same) ${r.probability.toFixed(4)}`;
        const who = r.name === null ? `unknown (nearest: ${r.neighbours[0].name ?? '?'})` : r.name;
        say(`${who}: distance ${r.distance.toFixed(4)} ${r.name === null ? '>' : '<='} threshold ${r.threshold.toFixed(4)}${p} (${r.detector})\n`);
        printWarnings(r.warnings);
      }
    });

  face
    .command('calibrate')
    .description("choose the face threshold on your own people (identity-disjoint k-fold): for the pretrained descriptor, or written into a face bundle")
    .requiredOption('--dataset <spec>', 'faces:DIR, one sub-folder per person (20 people or more for figures that mean something)')
    .option('--model <dir>', 'face bundle (or its run directory) whose threshold is calibrated and written into it; use people it was not trained on (default: the pretrained descriptor; its threshold is printed for --threshold)')
    .option('--detector <name>', `${FACE_DETECTORS.join(' | ')} (pretrained only; a bundle uses its own)`, oneOf(FACE_DETECTORS))
    .option('--folds <n>', 'identity folds of the cross-validation (default: 5, fewer when there are under 10 people: two people a fold)', positiveInt)
    .option('--seed <n>', 'seed of the folds and the different-person pairs (default: 0)', nonNegativeInt)
    .option('--skip-no-face', SKIP_NO_FACE_HELP)
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object (progress as JSON lines on stderr)')
    .action(async (o: { dataset: string; model?: string; detector?: FaceDetectorName; folds?: number; seed?: number; skipNoFace?: boolean; cache: boolean; cacheDir?: string; backend: BackendChoice; json?: boolean }) => {
      if (!o.dataset.startsWith('faces:') || o.dataset.length === 'faces:'.length) {
        throw new ContrastiveError('INVALID_ARGUMENT', `face calibrate: --dataset must be faces:DIR (one sub-folder per person), got '${o.dataset}'`);
      }
      await start(o.backend);
      const { calibrateFaces } = await import('../jobs/face-calibrate.js');
      const progress = taskProgress(progressMode(o.json), { json: process.stderr });
      let r: Awaited<ReturnType<typeof calibrateFaces>>;
      try {
        r = await calibrateFaces(o.dataset.slice('faces:'.length), {
          model: o.model && resolveModelDir(o.model),
          detector: o.detector,
          folds: o.folds,
          seed: o.seed,
          skipNoFace: o.skipNoFace,
          cache: await cacheOf(o),
          onProgress: progress.onProgress,
        });
      } finally {
        progress.stop();
      }
      if (o.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      const thresholds = r.folds.map((f) => f.threshold);
      const lines = [
        `calibrated on ${o.dataset}: ${r.identities} people, ${plural(r.images, 'photo')}${r.skipped.length ? ` (${r.skipped.length} without a face left out)` : ''}; ${r.model === 'pretrained' ? 'pretrained descriptor' : `model ${r.model}`}, ${r.detector}`,
        `  threshold          ${r.threshold.toFixed(4)}  (same person when distance <= it; was ${r.previousThreshold === null ? 'none' : r.previousThreshold.toFixed(4)})`,
        `  held-out accuracy  ${Number.isFinite(r.accuracy) ? r.accuracy.toFixed(4) : '-'}  (identity-disjoint ${r.folds.length}-fold: each fold's threshold chosen without its people${thresholds.length ? `; fold thresholds ${Math.min(...thresholds).toFixed(4)}-${Math.max(...thresholds).toFixed(4)}` : ''})`,
        `  pairs              ${r.pairs.similar} same-person, ${r.pairs.dissimilar} different-person`,
        `  p(same | d)        1 / (1 + exp(${r.platt.a.toPrecision(6)} * d${signed(r.platt.b)}))  (0.5 at the threshold)`,
        r.written ? `wrote ${r.written}` : `use it: contrastive face verify A B --threshold ${r.threshold.toFixed(4)} (and face identify --threshold ${r.threshold.toFixed(4)})`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
      printSkipped(r.skipped);
      printWarnings(r.warnings);
    });
}
