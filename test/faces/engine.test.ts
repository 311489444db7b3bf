import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faceEngineFrom, faceEngineSettings, faceEngineId, type FaceApiModule } from '../../packages/faces/src/engine.js';

/** A stand-in for a face-api module (what a browser page passes): records tensors and returns fixed detections. */
function fakeFaceApi(detections: { x: number; score: number }[]) {
  const live = new Set<object>();
  let options: unknown;
  const found = detections.map((d) => ({ box: { x: d.x, y: 10.04, width: 50.26, height: 60 }, score: d.score }));
  const api: FaceApiModule = {
    version: '9.9.9',
    tf: {
      tensor3d(values, shape) {
        assert.equal(values.length, shape[0] * shape[1] * shape[2]);
        const t = { dispose: () => live.delete(t) };
        live.add(t);
        return t;
      },
    },
    SsdMobilenetv1Options: class { constructor(o: unknown) { options = { ssd: o }; } },
    TinyFaceDetectorOptions: class { constructor(o: unknown) { options = { tiny: o }; } },
    detectAllFaces() {
      const task = Promise.resolve(found) as unknown as ReturnType<FaceApiModule['detectAllFaces']>;
      (task as { withFaceLandmarks: unknown }).withFaceLandmarks = () => ({
        withFaceDescriptors: () => Promise.resolve(found.map((detection, i) => ({ detection, descriptor: new Float32Array(128).fill(i) }))),
      });
      return task;
    },
  };
  return { api, live, options: () => options };
}

const image = { data: new Uint8Array(4 * 3 * 3), width: 4, height: 3 };

test('faceEngineFrom: faces left to right, boxes rounded, tensors disposed, detector options passed', async () => {
  const fake = fakeFaceApi([{ x: 300.123, score: 0.91234 }, { x: 20, score: 0.8 }]);
  const engine = faceEngineFrom(fake.api, { detector: 'tiny', tinyInputSize: 320, minConfidence: 0.4 });
  const boxes = await engine.detect(image);
  assert.deepEqual(boxes.map((b) => b.x), [20, 300.1]);
  assert.equal(boxes[1].score, 0.9123);
  assert.deepEqual(fake.options(), { tiny: { inputSize: 320, scoreThreshold: 0.4 } });
  const faces = await engine.describe(image);
  assert.deepEqual(faces.map((f) => f.descriptor[0]), [1, 0], 'descriptors follow their boxes when sorted');
  assert.equal(fake.live.size, 0, 'every input tensor disposed');
  assert.equal(engine.id, 'face-api@9.9.9/tiny-face-detector(inputSize=320,scoreThreshold=0.4)/landmark68/recognition128');
});

test('engine settings and images are checked with messages naming the problem', async () => {
  assert.throws(() => faceEngineSettings({ detector: 'yolo' as 'ssd' }), /detector must be one of ssd, tiny, got 'yolo'/);
  assert.throws(() => faceEngineSettings({ minConfidence: 1 }), /minConfidence must lie in \(0, 1\)/);
  assert.throws(() => faceEngineSettings({ tinyInputSize: 300 }), /multiple of 32/);
  assert.equal(faceEngineId('1.7.15', faceEngineSettings()), 'face-api@1.7.15/ssd-mobilenet-v1(minConfidence=0.5)/landmark68/recognition128');
  const engine = faceEngineFrom(fakeFaceApi([]).api);
  await assert.rejects(engine.describe({ data: new Uint8Array(5), width: 4, height: 3 }), /image.data has 5 bytes; a 4x3 RGB image needs 36/);
  assert.deepEqual(await engine.describe(image), []);
});
