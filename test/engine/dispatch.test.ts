/**
 * The engine's dispatch policy (packages/kernels/src/dispatch.ts): a given shape goes where
 * the table says, at each threshold's edge; and its thread policy (threads.ts): what each
 * engine gets from the one setting, where the setting comes from, and bad settings rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  convBackpropRoute, convForwardRoute, DISPATCH_THRESHOLDS as T, dispatchPolicy, matMulRoute, memoryBoundRoute, onnxruntimeThreads,
  type ConvShape, type EnginesOn, type MatMulShape,
} from '../../packages/kernels/src/dispatch.js';
import { defaultKernelThreads, kernelThreads, MAX_KERNEL_THREADS, planThreads, setKernelThreads, threadPlan } from '../../packages/kernels/src/threads.js';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { ROOT } from '../support/cli.js';
import { initBackend } from '../../packages/node/src/engine/backend.js';

const ALL: EnginesOn = { native: true, onnxruntime: true, helper: true };
const NONE: EnginesOn = { native: false, onnxruntime: false, helper: false };
const dense = (M: number, K: number, N: number, more: Partial<MatMulShape> = {}): MatMulShape =>
  ({ M, K, N, batch: 1, single: true, transposeA: false, transposeB: false, bias: false, activation: 'linear', ...more });

test('matMulRoute: the MLP layers of a training step go native first, then onnxruntime, the helper, the stock kernel', () => {
  // 256 x 784 x 512: the default MLP's first layer (forward with bias and relu, and its weight gradient).
  assert.deepEqual(matMulRoute(dense(256, 784, 512, { bias: true, activation: 'relu' }), ALL), ['native', 'onnxruntime', 'helper', 'stock']);
  assert.deepEqual(matMulRoute(dense(784, 256, 512, { transposeA: true }), ALL), ['native', 'onnxruntime', 'helper', 'stock']);
  // A·Bᵀ (an input gradient): onnxruntime first.
  assert.deepEqual(matMulRoute(dense(256, 512, 784, { transposeB: true }), ALL), ['onnxruntime', 'native', 'helper', 'stock']);
  // With the engines off, each drops out of the route and nothing else changes.
  assert.deepEqual(matMulRoute(dense(256, 784, 512), { ...ALL, native: false }), ['onnxruntime', 'helper', 'stock']);
  assert.deepEqual(matMulRoute(dense(256, 784, 512), { ...ALL, onnxruntime: false }), ['native', 'helper', 'stock']);
  assert.deepEqual(matMulRoute(dense(256, 784, 512), NONE), ['stock']);
});

test('matMulRoute: each size threshold is where the table puts it', () => {
  const nativeEdge = T.nativeGemmMinMacs.value; // 2^15 = 32 x 32 x 32
  assert.deepEqual(matMulRoute(dense(32, 32, 32), ALL), ['native', 'stock']);
  assert.equal(32 * 32 * 32, nativeEdge);
  assert.deepEqual(matMulRoute(dense(32, 32, 31), ALL), ['stock']);
  // onnxruntime from 2^20 multiply-adds, batch included.
  assert.ok(matMulRoute(dense(128, 64, 128), ALL).includes('onnxruntime'));
  assert.ok(!matMulRoute(dense(128, 64, 127), ALL).includes('onnxruntime'));
  assert.deepEqual(matMulRoute(dense(64, 64, 128, { batch: 2, single: false }), ALL), ['onnxruntime', 'stock']);
  // The helper from 1e6 multiply-adds and 8 rows.
  assert.ok(matMulRoute(dense(100, 100, 100), { ...NONE, helper: true }).includes('helper'));
  assert.ok(!matMulRoute(dense(100, 100, 99), { ...NONE, helper: true }).includes('helper'));
  assert.ok(!matMulRoute(dense(7, 1000, 1000), { ...NONE, helper: true }).includes('helper'));
  assert.ok(matMulRoute(dense(8, 1000, 1000), { ...NONE, helper: true }).includes('helper'));
  // An empty product: the stock kernel.
  assert.deepEqual(matMulRoute(dense(0, 784, 512), ALL), ['stock']);
});

test('matMulRoute: forms only onnxruntime takes (other activations, prelu, both transposed, a bias with a transpose)', () => {
  for (const more of [{ activation: 'elu' }, { activation: 'prelu' }, { transposeA: true, transposeB: true }, { transposeA: true, bias: true }, { transposeB: true, activation: 'relu' }]) {
    const route = matMulRoute(dense(256, 784, 512, more), ALL);
    assert.ok(!route.includes('native'), JSON.stringify(more));
    assert.equal(route[0], 'onnxruntime', JSON.stringify(more));
  }
  assert.ok(!matMulRoute(dense(256, 784, 512, { activation: 'sigmoid' }), ALL).includes('helper'));
});

test('onnxruntime runs products from 8e6 multiply-adds on the planned threads, smaller ones on one', () => {
  assert.equal(onnxruntimeThreads(T.onnxruntimeParallelMinMacs.value, 4), 4);
  assert.equal(onnxruntimeThreads(T.onnxruntimeParallelMinMacs.value - 1, 4), 1);
});

const conv = (N: number, H: number, C: number, K: number, F = 3, s = 1): ConvShape => {
  const O = Math.floor((H - F) / s) + 1;
  return { N, H, W: H, C, OH: O, OW: O, K, FH: F, FW: F, sh: s, sw: s, dh: 1, dw: 1 };
};

test('convForwardRoute: native, Winograd (helper from 4e6 multiply-adds and 4 images), direct with the helper, stock', () => {
  // The reference CNN's second conv, 256 images: 13x13x32 -> 3x3x64.
  assert.deepEqual(convForwardRoute(conv(256, 13, 32, 64), ALL), { engine: 'native' });
  assert.deepEqual(convForwardRoute(conv(256, 13, 32, 64), { ...ALL, native: false }), { engine: 'helper', kernel: 'winograd' });
  assert.deepEqual(convForwardRoute(conv(256, 13, 32, 64), NONE), { engine: 'wasm', kernel: 'winograd' });
  assert.deepEqual(convForwardRoute(conv(3, 13, 32, 64), { ...NONE, helper: true }), { engine: 'wasm', kernel: 'winograd' }, 'under 4 images');
  // The first conv (one input channel): the stock kernel, whatever the threads.
  assert.deepEqual(convForwardRoute(conv(256, 28, 1, 32), { ...NONE, helper: true }), { engine: 'stock' });
  // Stride 2 (no Winograd): our direct kernel only split with the helper; on one thread XNNPACK.
  assert.deepEqual(convForwardRoute(conv(64, 28, 16, 32, 3, 2), { ...NONE, helper: true }), { engine: 'helper', kernel: 'direct' });
  assert.deepEqual(convForwardRoute(conv(64, 28, 16, 32, 3, 2), NONE), { engine: 'stock' });
  // Filters taller than the direct kernel's table: the stock kernel.
  assert.deepEqual(convForwardRoute(conv(64, 40, 16, 32, 17, 2), { ...NONE, helper: true }), { engine: 'stock' });
  // Just under the helper's size: 4 x 10 x 10 x 8 x 9 x 16 x ... below 4e6.
  const small = conv(4, 12, 16, 8);
  assert.ok(small.N * small.OH * small.OW * small.K * 9 * small.C < T.helperConvMinMacs.value);
  assert.deepEqual(convForwardRoute(small, { ...NONE, helper: true }), { engine: 'wasm', kernel: 'winograd' });
});

test('convBackpropRoute and memoryBoundRoute', () => {
  assert.equal(convBackpropRoute(conv(256, 13, 32, 64), ALL), 'native');
  assert.equal(convBackpropRoute(conv(256, 13, 32, 64), { ...NONE, helper: true }), 'helper');
  assert.equal(convBackpropRoute(conv(2, 13, 32, 64), { ...NONE, helper: true }), 'wasm');
  assert.equal(convBackpropRoute({ ...conv(256, 13, 32, 64), K: 0 }, ALL), 'wasm', 'an empty geometry never reaches the addon nor the helper');
  assert.equal(memoryBoundRoute(1, ALL), 'native');
  assert.equal(memoryBoundRoute(0, ALL), 'wasm');
  assert.equal(memoryBoundRoute(1 << 20, { ...ALL, native: false }), 'wasm');
});

test('the policy as data: every threshold has its rule, reason and bench', () => {
  const policy = dispatchPolicy();
  assert.deepEqual(policy.engines, ['native', 'onnxruntime', 'helper', 'wasm', 'stock']);
  for (const [name, t] of Object.entries(policy.thresholds)) {
    assert.ok(Number.isFinite(t.value) && t.unit && t.rule && t.why && t.bench, name);
    assert.doesNotMatch(t.why, /\d(\.\d+)?x faster|\bms\b|\bus\b/, `${name}: a reason, not a machine's speed`);
  }
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(policy)));
});

test('thread policy: what each engine gets from the one setting', () => {
  assert.deepEqual(planThreads(1), { threads: 1, source: 'setKernelThreads', wasmBackend: 1, helper: 0, native: 1, onnxruntime: 1 });
  assert.deepEqual(planThreads(2, 'default'), { threads: 2, source: 'default', wasmBackend: 1, helper: 1, native: 2, onnxruntime: 2 });
  assert.deepEqual(planThreads(8), { threads: 8, source: 'setKernelThreads', wasmBackend: 1, helper: 1, native: 8, onnxruntime: 8 });
  assert.deepEqual([1, 2, 16].map(defaultKernelThreads), [1, 2, 2]);
  const before = kernelThreads();
  try {
    setKernelThreads(3);
    assert.deepEqual(threadPlan(), planThreads(3));
    for (const bad of [0, -1, 1.5, MAX_KERNEL_THREADS + 1, Number.NaN, '2' as unknown as number]) {
      assert.throws(() => setKernelThreads(bad), (e: unknown) => e instanceof ContrastiveError && e.code === 'INVALID_ARGUMENT' && /setKernelThreads/.test(e.message));
    }
    assert.equal(kernelThreads(), 3, 'a rejected setting changes nothing');
  } finally {
    setKernelThreads(before);
  }
});

test('CONTRASTIVE_KERNEL_THREADS sets the plan; a value that is not a thread count is reported, not ignored', () => {
  const script = [
    `import { threadPlan, checkThreadEnvironment } from ${JSON.stringify(path.join(ROOT, 'packages/kernels/src/threads.ts'))};`,
    'let problem = null;',
    'try { checkThreadEnvironment(); } catch (e) { problem = e.code + ": " + e.message; }',
    'console.log(JSON.stringify({ plan: threadPlan(), problem }));',
  ].join('\n');
  const run = (value: string) => {
    const r = spawnSync(process.execPath, ['--conditions=contrastive-source', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CONTRASTIVE_KERNEL_THREADS: value }, timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { plan: ReturnType<typeof threadPlan>; problem: string | null };
  };
  const four = run('4');
  assert.deepEqual(four, { plan: planThreads(4, 'environment'), problem: null });
  const bad = run('two');
  assert.equal(bad.plan.source, 'default');
  assert.match(bad.problem ?? '', /^INVALID_ARGUMENT: CONTRASTIVE_KERNEL_THREADS: threads must be an integer from 1 to 64, got "two"/);
});

test('initBackend takes the setting as its threads option, and rejects a bad one before choosing a backend', async () => {
  const before = kernelThreads();
  try {
    assert.equal(await initBackend('cpu', { threads: 1 }), 'cpu');
    assert.deepEqual(threadPlan(), planThreads(1));
    await assert.rejects(initBackend('cpu', { threads: 65 }), (e: unknown) => e instanceof ContrastiveError && e.code === 'INVALID_ARGUMENT' && /^initBackend: threads must be an integer from 1 to 64, got 65/.test(e.message));
    assert.equal(kernelThreads(), 1);
  } finally {
    setKernelThreads(before);
  }
});
