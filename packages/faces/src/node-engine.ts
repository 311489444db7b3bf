/**
 * Loads face-api in Node: its CommonJS `face-api.node-wasm.js` build runs on
 * this project's own @tensorflow/tfjs (it bundles no TF.js; the ESM builds
 * fail in Node on extension-less imports), with the weights shipped inside the
 * npm package (`model/`). Networks load once per process.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { ContrastiveError } from 'contrastive/internal/errors.js';
import { initBackend, type BackendChoice } from '@contrastive/node/internal/engine/backend.js';
import { faceEngineFrom, faceEngineSettings, type FaceApiModule, type FaceEngine, type FaceEngineSettings } from './engine.js';

const require = createRequire(import.meta.url);

/** The folder of face-api's weights inside the installed package. @group Face engine */
export function faceApiModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

interface NodeFaceApi extends FaceApiModule {
  nets: Record<'ssdMobilenetv1' | 'tinyFaceDetector' | 'faceLandmark68Net' | 'faceRecognitionNet', { isLoaded: boolean; loadFromDisk(dir: string): Promise<void> }>;
}

let faceapi: NodeFaceApi | undefined;

/** Options of {@link loadFaceEngine}. @group Face engine */
export interface LoadFaceEngineOptions extends Partial<FaceEngineSettings> {
  /** Folder of face-api's weight files; default the package's own `model/`. */
  modelDir?: string;
  /** Backend to initialise when none is in use yet; default 'auto'. */
  backend?: BackendChoice;
}

/**
 * A face engine for Node with the given detector settings. The first call
 * loads face-api and its networks (about half a second); later calls reuse them.
 *
 * @throws ContrastiveError when the weights folder lacks a network's files.
 * @group Face engine
 */
export async function loadFaceEngine(options: LoadFaceEngineOptions = {}): Promise<FaceEngine> {
  const fn = 'loadFaceEngine';
  const { modelDir = faceApiModelDir(), backend, ...rest } = options;
  const settings = faceEngineSettings(rest, fn);
  if (!tf.engine().backendName) await initBackend(backend ?? 'auto');
  faceapi ??= require('@vladmandic/face-api/dist/face-api.node-wasm.js') as NodeFaceApi;
  const nets = [settings.detector === 'ssd' ? 'ssdMobilenetv1' : 'tinyFaceDetector', 'faceLandmark68Net', 'faceRecognitionNet'] as const;
  const files = { ssdMobilenetv1: 'ssd_mobilenetv1_model', tinyFaceDetector: 'tiny_face_detector_model', faceLandmark68Net: 'face_landmark_68_model', faceRecognitionNet: 'face_recognition_model' };
  for (const name of nets) {
    const net = faceapi.nets[name];
    if (net.isLoaded) continue;
    const manifest = path.join(modelDir, `${files[name]}-weights_manifest.json`);
    if (!existsSync(manifest)) throw new ContrastiveError('NOT_FOUND', `${fn}: ${manifest}: no such file (the face-api weights folder must hold ${files[name]}-weights_manifest.json and its .bin)`);
    try {
      await net.loadFromDisk(modelDir);
    } catch (err) {
      throw new ContrastiveError('INVALID_DATA', `${fn}: cannot load ${files[name]} from ${modelDir}: ${(err as Error).message}`, { cause: err });
    }
  }
  return faceEngineFrom(faceapi, settings);
}
