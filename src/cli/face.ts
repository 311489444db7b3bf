/** `contrastive face ...`: face verification with the pretrained pipeline or a trained face bundle. */
import type { Command } from 'commander';
import { BACKEND_CHOICES, initBackend, type BackendChoice } from '../engine/backend.js';
import { FACE_DETECTORS, FaceCache, loadFaceModel, pretrainedFaceModel, verifyFaces, type FaceDetectorName, type FaceModel } from '../faces/index.js';
import { nonNegativeInt, oneOf, positiveNumber } from './options.js';

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

function modelOf(o: { model?: string; threshold?: number; detector?: FaceDetectorName }): Promise<FaceModel> {
  if (o.model) return loadFaceModel(o.model, { threshold: o.threshold });
  return Promise.resolve(pretrainedFaceModel({ threshold: o.threshold, pipeline: o.detector ? { detector: o.detector } : {} }));
}

export function registerFaceCommand(program: Command): void {
  const face = program.command('face').description('face verification: pretrained face-api descriptor, or a head trained with train --dataset faces:DIR');
  face
    .command('verify')
    .description('are the faces in photos A and B the same person? (detect, align, describe, compare)')
    .argument('<A>', 'photo A')
    .argument('<B>', 'photo B')
    .option('--model <dir>', 'face bundle from train --dataset faces:DIR (default: the pretrained descriptor with its calibrated threshold)')
    .option('--face-a <n>', 'which face of A, counted from 0 left to right, when it holds several', nonNegativeInt)
    .option('--face-b <n>', 'which face of B when it holds several', nonNegativeInt)
    .option('--threshold <t>', "accept as same when distance <= t (default: the model's calibrated threshold)", positiveNumber)
    .option('--detector <name>', `${FACE_DETECTORS.join(' | ')} (pretrained only; a bundle uses its own)`, oneOf(FACE_DETECTORS))
    .option('--no-cache', 'do not read or write the descriptor cache')
    .option('--cache-dir <dir>', 'descriptor cache folder (default ~/.cache/contrastive/faces)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--json', 'print one JSON object { distance, threshold, same, probability, faces: { a, b } }')
    .action(async (a: string, b: string, o: FaceVerifyCliOptions) => {
      await initBackend(o.backend);
      const model = await modelOf(o);
      try {
        const r = await verifyFaces(a, b, { model, faceA: o.faceA, faceB: o.faceB, cache: o.cache ? new FaceCache(o.cacheDir) : false });
        if (o.json) {
          process.stdout.write(JSON.stringify({ distance: r.distance, threshold: r.threshold, same: r.same, probability: r.probability, faces: r.faces, chosen: r.chosen }) + '\n');
        } else {
          const p = r.probability === null ? '' : `, p(same) ${r.probability.toFixed(4)}`;
          const which = `A face ${r.chosen.a} of ${r.faces.a.length}, B face ${r.chosen.b} of ${r.faces.b.length}`;
          process.stdout.write(`${r.same ? 'same person' : 'different people'}: distance ${r.distance.toFixed(4)} ${r.same ? '<=' : '>'} threshold ${r.threshold.toFixed(4)}${p} (${which}; ${model.source === 'pretrained' ? 'pretrained descriptor' : `model ${model.source}`})\n`);
        }
      } finally {
        model.dispose();
      }
    });
}
