/**
 * The face pipeline behind one small interface: detection, 68-point landmarks
 * (alignment) and the 128-d descriptor of face-api (@vladmandic/face-api, a
 * FaceNet-style ResNet trained on millions of faces). Nothing here touches
 * the file system, so the browser page can build the same engine from its own
 * face-api build with {@link faceEngineFrom}; Node loads it with
 * `loadFaceEngine` (node-engine.ts).
 */
import { check } from 'contrastive/internal/errors.js';

/** The detectors face-api offers: SSD MobileNet v1 (accurate) or the tiny YOLO-style detector (faster). @group Face engine */
export type FaceDetectorName = 'ssd' | 'tiny';
/** Every detector name, for option parsing. @group Face engine */
export const FACE_DETECTORS: readonly FaceDetectorName[] = ['ssd', 'tiny'];

/** An RGB image in memory: `width * height * 3` bytes, row-major. @group Face engine */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A detected face: its box in pixels of the image it was found in, and the detector's score. @group Face engine */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/** A detected face with its 128-d descriptor (computed on the face aligned by its landmarks). @group Face engine */
export interface DescribedFace {
  box: FaceBox;
  /** The 128-d face descriptor; same person when the Euclidean distance is small. */
  descriptor: Float32Array;
}

/** Settings of a face engine; they change descriptors, so they are part of cache keys and bundles. @group Face engine */
export interface FaceEngineSettings {
  /** Detector; default 'ssd'. */
  detector: FaceDetectorName;
  /** Detections scoring below this are dropped; default 0.5. */
  minConfidence: number;
  /** Input size of the tiny detector (a multiple of 32); default 416. */
  tinyInputSize: number;
}

/** Default longest side of a photo given to the detector (larger photos are reduced). @group Face engine */
export const DEFAULT_FACE_MAX_SIDE = 1920;

/** Default engine settings. @group Face engine */
export const DEFAULT_FACE_ENGINE: FaceEngineSettings = { detector: 'ssd', minConfidence: 0.5, tinyInputSize: 416 };

/** The face pipeline: detection alone, or detection + landmarks + descriptors. @group Face engine */
export interface FaceEngine {
  readonly settings: FaceEngineSettings;
  /** Names the pipeline exactly (library version, detector and its settings, descriptor), for caches and bundles. */
  readonly id: string;
  /** Faces in `image`, left to right (then top to bottom). */
  detect(image: RgbImage): Promise<FaceBox[]>;
  /** Faces in `image` with descriptors, in the same order as {@link FaceEngine.detect}. */
  describe(image: RgbImage): Promise<DescribedFace[]>;
}

/** The part of a face-api module the engine uses (Node's node-wasm build or a browser build). @group Face engine */
export interface FaceApiModule {
  version: string;
  /** The TF.js face-api bundles (tensor3d makes the image input; dispose frees it). */
  tf: {
    /** An int32 [height, width, 3] image tensor. */
    tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): {
      /** Frees the tensor. */
      dispose(): void;
    };
  };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  /** Detects every face of an image (a task that can add landmarks and descriptors). */
  detectAllFaces(input: unknown, options: unknown): FaceApiTask;
}

/** One face face-api found: its box and score. @group Face engine */
export interface FaceApiDetection {
  box: { x: number; y: number; width: number; height: number };
  score: number;
}
/** face-api's chainable detection task. @group Face engine */
export interface FaceApiTask extends PromiseLike<FaceApiDetection[]> {
  /** Adds the 68 landmarks to each detection. */
  withFaceLandmarks(): {
    /** Adds the 128-d descriptor to each detection. */
    withFaceDescriptors(): PromiseLike<{ detection: FaceApiDetection; descriptor: Float32Array }[]>;
  };
}

/** Checks and completes engine settings. @group Face engine */
export function faceEngineSettings(settings: Partial<FaceEngineSettings> = {}, fn = 'faceEngine'): FaceEngineSettings {
  const s = { ...DEFAULT_FACE_ENGINE, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) } as FaceEngineSettings;
  check(FACE_DETECTORS.includes(s.detector), fn, `detector must be one of ${FACE_DETECTORS.join(', ')}, got '${String(s.detector)}'`);
  check(Number.isFinite(s.minConfidence) && s.minConfidence > 0 && s.minConfidence < 1, fn, `minConfidence must lie in (0, 1), got ${s.minConfidence}`);
  check(Number.isInteger(s.tinyInputSize) && s.tinyInputSize >= 128 && s.tinyInputSize % 32 === 0, fn, `tinyInputSize must be a multiple of 32 >= 128, got ${s.tinyInputSize}`);
  return s;
}

/**
 * The detector of a pipeline in a few words, printed beside every face figure
 * (distances, thresholds, accuracies depend on it): 'ssd detector (min
 * confidence 0.5)', 'tiny detector (input 416, min score 0.5)', with the photo
 * size limit when given.
 */
export function faceDetectorLabel(s: Pick<FaceEngineSettings, 'detector' | 'minConfidence' | 'tinyInputSize'> & { maxSide?: number }): string {
  const settings = s.detector === 'tiny' ? `input ${s.tinyInputSize}, min score ${s.minConfidence}` : `min confidence ${s.minConfidence}`;
  return `${s.detector} detector (${settings}${s.maxSide === undefined ? '' : `, photos up to ${s.maxSide} px`})`;
}

/** The pipeline id of an engine with these settings on face-api `version`. @group Face engine */
export function faceEngineId(version: string, s: FaceEngineSettings): string {
  const det = s.detector === 'ssd' ? `ssd-mobilenet-v1(minConfidence=${s.minConfidence})` : `tiny-face-detector(inputSize=${s.tinyInputSize},scoreThreshold=${s.minConfidence})`;
  return `face-api@${version}/${det}/landmark68/recognition128`;
}

function toBox(d: FaceApiDetection): FaceBox {
  const r = (v: number): number => Math.round(v * 10) / 10;
  return { x: r(d.box.x), y: r(d.box.y), width: r(d.box.width), height: r(d.box.height), score: Math.round(d.score * 1e4) / 1e4 };
}

// Reading order, so that "face 0" means the leftmost face for every caller.
function byPosition(a: FaceBox, b: FaceBox): number {
  return a.x - b.x || a.y - b.y;
}

function checkImage(image: RgbImage, fn: string): void {
  check(image && image.data instanceof Uint8Array, fn, 'image.data must be a Uint8Array of RGB bytes');
  check(Number.isInteger(image.width) && Number.isInteger(image.height) && image.width > 0 && image.height > 0, fn, `image size must be positive integers, got ${image.width}x${image.height}`);
  check(image.data.length === image.width * image.height * 3, fn, `image.data has ${image.data.length} bytes; a ${image.width}x${image.height} RGB image needs ${image.width * image.height * 3}`);
}

/**
 * A {@link FaceEngine} over a face-api module whose networks are loaded
 * (ssdMobilenetv1 or tinyFaceDetector, faceLandmark68Net, faceRecognitionNet).
 * Node: use `loadFaceEngine`; a browser page passes its own face-api import.
 * @group Face engine
 */
export function faceEngineFrom(faceapi: FaceApiModule, settings: Partial<FaceEngineSettings> = {}): FaceEngine {
  const s = faceEngineSettings(settings, 'faceEngineFrom');
  const options = (): unknown =>
    s.detector === 'ssd'
      ? new faceapi.SsdMobilenetv1Options({ minConfidence: s.minConfidence, maxResults: 100 })
      : new faceapi.TinyFaceDetectorOptions({ inputSize: s.tinyInputSize, scoreThreshold: s.minConfidence });
  const tensorOf = (image: RgbImage): { dispose(): void } => {
    // face-api takes an int32 [height, width, 3] tensor of 0..255 values.
    return faceapi.tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 3], 'int32');
  };
  return {
    settings: s,
    id: faceEngineId(faceapi.version, s),
    async detect(image) {
      checkImage(image, 'detectFaces');
      const x = tensorOf(image);
      try {
        return (await faceapi.detectAllFaces(x, options())).map(toBox).sort(byPosition);
      } finally {
        x.dispose();
      }
    },
    async describe(image) {
      checkImage(image, 'describeFaces');
      const x = tensorOf(image);
      try {
        const found = await faceapi.detectAllFaces(x, options()).withFaceLandmarks().withFaceDescriptors();
        return found
          .map((f) => ({ box: toBox(f.detection), descriptor: Float32Array.from(f.descriptor) }))
          .sort((a, b) => byPosition(a.box, b.box));
      } finally {
        x.dispose();
      }
    },
  };
}
