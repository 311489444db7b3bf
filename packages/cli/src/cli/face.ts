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
import { say, jsonText } from './output.js';

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

/** Registers `contrastive face verify|enroll|identify`. */
export function registerFaceCommand(program: Command): void {
  const face = program.command('face').description('face verification: pretrained face-api descriptor, or a head trained with train --dataset faces:DIR');
  face
    .command('verify')
    .description('are the faces in photos A and B the same person? (detect, align, describe, compare)')
    .argument('<A>', 'photo A')
    .argument('<B>', 'photo B')
    .option('--model <dir>', 'face bundle from train --dataset faces:DIR, or its run directory (default: the pretrained descriptor with its calibrated threshold)')
    .option('--face-a <n>', 'which face of A, counted from 0 left to right, when it holds several', nonNegativeInt)
    .option('--face-b <n>', 'which face of B when it holds several', nonNegativeInt)
    .option('--threshold <t>', "accept as same when distance <= t (default: the model's calibrated threshold)", positiveNumber)
    .option('--detector <name>', `${FACE_DETECTORS.join(' | ')} (pretrained only; a bundle uses its own)`, oneOf(FACE_DETECTORS))
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object { distance, threshold, same, probability, faces: { a, b } }')
    .action(async (a: string, b: string, o: FaceVerifyCliOptions) => {
      await start(o.backend);
      const { verifyFaces } = await import('@contrastive/faces/internal/verify.js');
      const model = await modelOf(o);
      try {
        const r = await verifyFaces(a, b, { model, faceA: o.faceA, faceB: o.faceB, cache: await cacheOf(o) });
        if (o.json) {
          process.stdout.write(jsonText({ distance: r.distance, threshold: r.threshold, same: r.same, probability: r.probability, faces: r.faces, chosen: r.chosen }) + '\n');
        } else {
          const p = r.probability === null ? '' : `, p(same) ${r.probability.toFixed(4)}`;
          const which = `A face ${r.chosen.a} of ${r.faces.a.length}, B face ${r.chosen.b} of ${r.faces.b.length}`;
          say(`${r.same ? 'same person' : 'different people'}: distance ${r.distance.toFixed(4)} ${r.same ? '<=' : '>'} threshold ${r.threshold.toFixed(4)}${p} (${which}; ${model.source === 'pretrained' ? 'pretrained descriptor' : `model ${model.source}`})\n`);
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
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object')
    .action(async (images: string[], o: { index: string; name: string; model?: string; face?: number; cache: boolean; cacheDir?: string; backend: BackendChoice; json?: boolean }) => {
      await start(o.backend);
      const { enrollFaces } = await import('../jobs/face-identify.js');
      const r = await enrollFaces(o.index, o.name, images, { model: o.model && resolveModelDir(o.model), face: o.face, cache: await cacheOf(o) });
      if (o.json) process.stdout.write(jsonText(r) + '\n');
      else say(`enrolled ${r.added.length} face${r.added.length === 1 ? '' : 's'} of ${r.name} (${r.enrolled} in all) in ${r.index}, which holds ${r.total}\n`);
    });
  face
    .command('identify')
    .description('who is the face in PHOTO? the nearest enrolled person within the threshold, else unknown')
    .argument('<image>', 'photo')
    .requiredOption('--index <file>', 'index file (or postgres:// URL)')
    .option('--model <dir>', 'face bundle the index was enrolled with (default: the pretrained descriptor)')
    .option('--face <n>', 'which face of the photo when it holds several', nonNegativeInt)
    .option('--threshold <t>', "unknown beyond this distance (default: the model's calibrated threshold)", positiveNumber)
    .option('-k, --k <n>', 'nearest enrolled faces to list (default 5)', positiveInt)
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object { name, distance, threshold, probability, neighbours, faces, chosen }')
    .action(async (image: string, o: { index: string; model?: string; face?: number; threshold?: number; k?: number; cache: boolean; cacheDir?: string; backend: BackendChoice; json?: boolean }) => {
      await start(o.backend);
      const { identifyFace } = await import('../jobs/face-identify.js');
      const r = await identifyFace(o.index, image, { model: o.model && resolveModelDir(o.model), face: o.face, threshold: o.threshold, k: o.k, cache: await cacheOf(o) });
      if (o.json) {
        process.stdout.write(jsonText(r) + '\n');
      } else {
        const p = r.probability === null ? '' : `, p(same) ${r.probability.toFixed(4)}`;
        const who = r.name === null ? `unknown (nearest: ${r.neighbours[0].name ?? '?'})` : r.name;
        say(`${who}: distance ${r.distance.toFixed(4)} ${r.name === null ? '>' : '<='} threshold ${r.threshold.toFixed(4)}${p}\n`);
      }
    });
}
