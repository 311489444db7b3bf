/** Preprocessing of online signatures: resampling, position and size normalisation, velocity and pressure features. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packTrajectory, preprocessSignature, signaturePreprocessing, DEFAULT_SIGNATURE_PREPROCESSING, type Trajectory } from '../../packages/signatures/src/index.js';

/** A straight stroke at constant speed: x = 1000 + 2 t (t in ms), y = 500, pressure rising 0..400. */
function line(points: number): Trajectory {
  return packTrajectory(
    Array.from({ length: points }, (_, k) => ({ x: 1000 + 2 * 10 * k, y: 500, t: 10 * k, pressure: (400 * k) / (points - 1), penDown: true })),
    'line',
  );
}

function column(seq: { data: Float32Array; features: number }, f: number): number[] {
  return Array.from({ length: seq.data.length / seq.features }, (_, i) => seq.data[i * seq.features + f]);
}

test('resampling to a fixed length interpolates linearly in time', () => {
  const p = signaturePreprocessing({ length: 5, position: 'none', size: 'none', features: ['x', 'y', 'pressure'] });
  const seq = preprocessSignature(line(11), p); // t = 0..100 ms
  assert.equal(seq.length, 5);
  assert.deepEqual(column(seq, 0), [1000, 1050, 1100, 1150, 1200]);
  assert.deepEqual(column(seq, 1), [500, 500, 500, 500, 500]);
  // Pressure is divided by the signature's largest pressure.
  assert.deepEqual(column(seq, 2).map((v) => +v.toFixed(6)), [0, 0.25, 0.5, 0.75, 1]);
});

test('resampling at a rate gives duration x rate + 1 points', () => {
  const p = signaturePreprocessing({ rateHz: 50, position: 'none', size: 'none', features: ['x'] });
  assert.equal(p.length, null);
  const seq = preprocessSignature(line(11), p); // 100 ms at 50 Hz
  assert.equal(seq.length, 6);
  assert.deepEqual(column(seq, 0), [1000, 1040, 1080, 1120, 1160, 1200]);
});

test('centroid and RMS size: pen-down points end centred with unit RMS radius, whatever the position and scale', () => {
  const p = signaturePreprocessing({ length: 64, features: ['x', 'y'] });
  const a = packTrajectory(
    Array.from({ length: 40 }, (_, k) => ({ x: Math.cos(k / 6) * 300 + 7000, y: Math.sin(k / 4) * 100 - 50, t: k * 10, pressure: 1, penDown: true })),
    'a',
  );
  const moved = { ...a, x: a.x.map((v) => 3 * v + 123), y: a.y.map((v) => 3 * v - 99) };
  const s1 = preprocessSignature(a, p);
  const s2 = preprocessSignature(moved, p);
  for (let i = 0; i < s1.data.length; i++) assert.ok(Math.abs(s1.data[i] - s2.data[i]) < 1e-4, `value ${i}: ${s1.data[i]} vs ${s2.data[i]}`);
  const xs = column(s1, 0);
  const ys = column(s1, 1);
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  // Resampled points are uniform in time like the recorded ones, so their statistics stay close.
  assert.ok(Math.abs(mean(xs)) < 0.05 && Math.abs(mean(ys)) < 0.05, `centred: ${mean(xs)}, ${mean(ys)}`);
  const rms = Math.sqrt(mean(xs.map((x, i) => x * x + ys[i] * ys[i])));
  assert.ok(Math.abs(rms - 1) < 0.05, `unit RMS radius, got ${rms}`);
});

test('velocity is in size units per velocityUnit seconds: a slower copy has proportionally smaller velocities', () => {
  const p = signaturePreprocessing({ length: 16, position: 'none', size: 'none', features: ['vx', 'vy', 'speed'], velocityUnit: 0.1 });
  const fast = preprocessSignature(line(11), p);
  // 2 units per ms = 2000 per s = 200 per 100 ms, everywhere (central and one-sided differences agree on a line).
  for (const v of column(fast, 0)) assert.ok(Math.abs(v - 200) < 1e-3, `vx ${v}`);
  for (const v of column(fast, 1)) assert.equal(v, 0);
  const slow = line(11);
  const slower = { ...slow, t: slow.t.map((t) => 2 * t) };
  for (const v of column(preprocessSignature(slower, p), 2)) assert.ok(Math.abs(v - 100) < 1e-3, `speed ${v}`);
});

test('the pen feature follows pen lifts; equal timestamps do not break it', () => {
  const tr = packTrajectory(
    [
      { x: 0, y: 0, t: 0, pressure: 5, penDown: true },
      { x: 1, y: 0, t: 10, pressure: 0, penDown: false },
      { x: 2, y: 0, t: 20, pressure: 5, penDown: true },
    ],
    'lift',
  );
  const p = signaturePreprocessing({ length: 5, features: ['pen'] });
  assert.deepEqual(column(preprocessSignature(tr, p), 0), [1, 1, 0, 0, 1]);
  // a dot built by hand (the readers refuse one) still preprocesses to finite values
  const dot: Trajectory = { x: Float64Array.of(5), y: Float64Array.of(5), t: Float64Array.of(0), pressure: Float64Array.of(1), penDown: Uint8Array.of(1) };
  const seq = preprocessSignature(dot, signaturePreprocessing({ length: 4 }));
  assert.ok(seq.data.every((v) => Number.isFinite(v)));
  const same = packTrajectory([0, 1, 2].map((k) => ({ x: k, y: 0, t: 7, pressure: 1, penDown: true })), 'same-time');
  assert.ok(preprocessSignature(same, signaturePreprocessing({ length: 4 })).data.every((v) => Number.isFinite(v)));
});

test('settings: defaults filled in, bad ones named', () => {
  assert.deepEqual(signaturePreprocessing(), DEFAULT_SIGNATURE_PREPROCESSING);
  assert.throws(() => signaturePreprocessing({ length: 1 }), /preprocessing length/);
  assert.throws(() => signaturePreprocessing({ features: ['x', 'tilt' as never] }), /preprocessing features\.1/);
  assert.throws(() => signaturePreprocessing({ length: 32, rateHz: 100 }), /exactly one of length and rateHz/);
});

test('a dot is not a signature: one point, or pen-down points all at one place, are refused naming the file', () => {
  assert.throws(() => packTrajectory([{ x: 5, y: 5, t: 0, pressure: 1, penDown: true }], 'dot.txt'), /dot\.txt: not a signature: one pen-down point is a dot/);
  const still = [0, 10, 20].map((t) => ({ x: 7, y: 3, t, pressure: 1, penDown: true }));
  assert.throws(() => packTrajectory([...still, { x: 50, y: 50, t: 30, pressure: 0, penDown: false }], 'still.txt'), /still\.txt: not a signature: 3 pen-down points, all at \(7, 3\)/);
});

test('size normalisation cannot overflow: a signature in units of 1e300 is the same signature, not a dot', () => {
  const p = signaturePreprocessing({ length: 16 });
  const base = line(21);
  const huge: Trajectory = { ...base, x: base.x.map((v) => v * 1e300), y: base.y.map((v) => v * 1e300) };
  const a = preprocessSignature(base, p);
  const b = preprocessSignature(huge, p);
  for (let i = 0; i < a.data.length; i++) assert.ok(Math.abs(a.data[i] - b.data[i]) < 1e-5, `value ${i}: ${a.data[i]} vs ${b.data[i]}`);
  assert.ok(column(b, 0).some((v) => Math.abs(v) > 0.5), 'the stroke keeps its extent');
  const height = signaturePreprocessing({ length: 16, size: 'height' });
  const tall: Trajectory = { ...base, y: base.x.map((v) => v * 1e300) };
  assert.ok(preprocessSignature(tall, height).data.every(Number.isFinite));
});

test('values beyond float32 and absurd resampling lengths are named, not computed', () => {
  const base = line(21);
  const huge: Trajectory = { ...base, x: base.x.map((v) => v * 1e300) };
  assert.throws(() => preprocessSignature(huge, signaturePreprocessing({ length: 16, position: 'none', size: 'none' }), 'huge.txt'), /huge\.txt: feature 'x' of point 0 is Infinity after preprocessing/);
  const span: Trajectory = { ...base, x: base.x.map((v, k) => (k % 2 ? 1.5e308 : -1.5e308)) };
  assert.throws(() => preprocessSignature(span, signaturePreprocessing({ length: 16 }), 'span.txt'), /span\.txt: its pen-down points span more than a double holds/);
  const slow: Trajectory = { ...base, t: base.t.map((t) => t * 1e12) };
  assert.throws(() => preprocessSignature(slow, signaturePreprocessing({ rateHz: 100 }), 'slow.txt'), /slow\.txt lasts .* more than 20000/);
});
