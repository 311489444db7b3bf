/**
 * The Winograd F(2x2, 3x3) path of Conv2D on wasm (3x3 filters, stride 1; csrc/kernels.c
 * `conv2d_forward_winograd`): against the cpu backend on odd sizes (partial 2x2 tiles),
 * 'same' / 'valid' / explicit padding, batch 1, channel counts 8..40; on one thread and two
 * (the same bits); NaN and infinities (the direct kernel). Conv2DBackpropInput (direct) is
 * checked on the same convolutions.
 */
// npm test: own process (it checks which work runs on the kernels' helper thread)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withBackend, assertClose, randn } from '../support/helpers.js';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { kernelThreads, setKernelThreads } from '../../packages/kernels/src/index.js';
import { copyStats } from '../../packages/kernels/src/split.js';
import { setNativeKernels } from '../../packages/kernels/src/native.js';

// This file tests the wasm kernels; the native kernels (Node addon) have their own tests in native.test.ts.
setNativeKernels(false);

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];


async function run(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, { data: Float32Array; shape: number[] }>, attrs: object): Promise<Float32Array> {
  return withBackend(backend, async () => {
    const ts = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
    const out = tf.engine().runKernel(kernel, ts as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
    const values = (await out.data()) as Float32Array;
    tf.dispose([out, ...Object.values(ts)]);
    return values;
  });
}

const cases: { x: Shape4; f: Shape4; pad: Pad }[] = [
  { x: [1, 5, 5, 8], f: [3, 3, 8, 8], pad: 'valid' },
  { x: [2, 7, 6, 8], f: [3, 3, 8, 16], pad: 'same' },
  { x: [3, 13, 13, 32], f: [3, 3, 32, 64], pad: 'valid' }, // the reference CNN's second conv
  { x: [2, 9, 8, 12], f: [3, 3, 12, 24], pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { x: [1, 6, 7, 16], f: [3, 3, 16, 8], pad: [[0, 0], [1, 0], [2, 2], [0, 0]] },
  { x: [2, 6, 6, 8], f: [3, 3, 8, 16], pad: [[0, 0], [3, 1], [0, 0], [0, 0]] },
  { x: [2, 4, 4, 40], f: [3, 3, 40, 40], pad: 'same' },
  { x: [12, 14, 13, 16], f: [3, 3, 16, 32], pad: 'same' }, // large enough to split over two threads
];

test('Conv2D 3x3 stride 1 (Winograd) and Conv2DBackpropInput on wasm equal cpu, on one thread and two', async () => {
  const rng = new Rng(31);
  const before = kernelThreads();
  const copied = copyStats.bytes;
  try {
    for (const c of cases) {
      const info = tf.backend_util.computeConv2DInfo(c.x, c.f, 1, 1, c.pad as never);
      const dyShape = info.outShape;
      const x = { data: randn(rng, c.x), shape: c.x };
      const filter = { data: randn(rng, c.f).map((v) => v * 0.2), shape: c.f };
      const dy = { data: randn(rng, dyShape), shape: dyShape };
      const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const fwdRef = await run('cpu', 'Conv2D', { x, filter }, { ...attrs, dilations: 1 });
      const bwdRef = await run('cpu', 'Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: c.x });
      const got: Float32Array[][] = [];
      for (const n of [1, 2]) {
        setKernelThreads(n);
        const fwd = await run('wasm', 'Conv2D', { x, filter }, { ...attrs, dilations: 1 });
        const bwd = await run('wasm', 'Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: c.x });
        // Sums of up to 9 C products of unit-scale values: 2e-5 relative and absolute.
        assertClose(fwd, fwdRef, 2e-5, `Conv2D ${c.x} ${c.f} ${JSON.stringify(c.pad)} threads ${n}`);
        assertClose(bwd, bwdRef, 2e-5, `Conv2DBackpropInput ${c.x} ${c.f} ${JSON.stringify(c.pad)} threads ${n}`);
        got.push([fwd, bwd]);
      }
      assert.deepEqual(got[1][0], got[0][0], `Conv2D ${c.x}: two threads give the one-thread bits`);
      assert.deepEqual(got[1][1], got[0][1], `Conv2DBackpropInput ${c.x}: two threads give the one-thread bits`);
    }
    assert.ok(copyStats.bytes > copied, 'the largest case ran on the helper thread too');
  } finally {
    setKernelThreads(before);
  }
});

test('a 3x3 conv layer trains to the same weights on wasm (Winograd) as on cpu, within float32 rounding', async () => {
  const rng = new Rng(32);
  const xData = randn(rng, [4, 9, 9, 8]);
  const yData = randn(rng, [4, 16]);
  const train = (backend: 'wasm' | 'cpu') => withBackend(backend, async () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [9, 9, 8], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.globalAveragePooling2d({}),
    ] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const xs = tf.tensor4d(xData, [4, 9, 9, 8]);
    const ys = tf.tensor2d(yData, [4, 16]);
    await model.fit(xs, ys, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
    const w = (await model.getWeights()[0].data()) as Float32Array;
    tf.dispose([xs, ys]);
    model.dispose();
    return w;
  });
  assertClose(await train('wasm'), await train('cpu'), 1e-4, 'weights after 3 steps');
});

test('Conv2D and Conv2DBackpropInput 3x3 with NaN and infinities on wasm: NaN exactly where cpu has it (Conv2D takes the direct kernel)', async () => {
  const rng = new Rng(33);
  const c = { x: [2, 8, 7, 8] as Shape4, f: [3, 3, 8, 16] as Shape4, pad: 'same' as Pad };
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, 1, 1, c.pad as never);
  const xd = randn(rng, c.x);
  const dyd = randn(rng, info.outShape);
  xd[37] = NaN; xd[300] = Infinity; dyd[50] = -Infinity; dyd[801] = NaN;
  const filter = { data: randn(rng, c.f).map((v) => v * 0.2), shape: c.f };
  const attrs = { strides: 1, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const pairs: [string, Record<string, { data: Float32Array; shape: number[] }>, object][] = [
    ['Conv2D', { x: { data: xd, shape: c.x }, filter }, { ...attrs, dilations: 1 }],
    ['Conv2DBackpropInput', { dy: { data: dyd, shape: info.outShape }, filter }, { ...attrs, inputShape: c.x }],
  ];
  for (const [kernel, inputs, a] of pairs) {
    const w = await run('wasm', kernel, inputs, a);
    const ref = await run('cpu', kernel, inputs, a);
    let nans = 0;
    for (let i = 0; i < ref.length; i++) {
      assert.equal(Number.isNaN(w[i]), Number.isNaN(ref[i]), `${kernel}[${i}]: ${w[i]} vs ${ref[i]}`);
      if (Number.isNaN(ref[i])) nans++;
      else if (Number.isFinite(ref[i])) assert.ok(Math.abs(w[i] - ref[i]) <= 2e-5 * (1 + Math.abs(ref[i])), `${kernel}[${i}]: ${w[i]} vs ${ref[i]}`);
      else assert.equal(w[i], ref[i]);
    }
    assert.ok(nans > 0 && nans < ref.length / 4, `${kernel}: ${nans} NaN outputs, around the NaN inputs only`);
  }
});
