/**
 * `contrastive backend` says which backend runs and, on wasm, which engine runs our
 * kernels and why: the native addon loaded, turned off, not installed, installed but
 * not built at install (no C compiler), or built but failing to load. The addon's
 * states are read from the real errors Node gives for each case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../support/cli.js';
import { addonStateOf, NATIVE_ADDON_PACKAGE } from '../../packages/kernels/src/native.js';

const TSX = import.meta.resolve('tsx');

function backend(env: NodeJS.ProcessEnv, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, path.join(ROOT, 'packages/cli/src/cli/main.ts'), 'backend', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface BackendJson {
  backend: string;
  simd?: boolean;
  kernels: {
    conv: { engine: string; isa?: string; reason?: string; addon: string };
    matmul: { engine: string; reason: string; threads: number };
    threads: { threads: number; source: string; helper: number; native: number; onnxruntime: number };
    dispatch: { engines: string[]; thresholds: Record<string, { value: number; why: string; bench: string }> };
  } | null;
}

test('backend --json names the kernels engine and the addon state; turned off, it says so and still reports the addon', () => {
  const on = backend({}, '--json');
  assert.equal(on.code, 0, on.stderr);
  const a = JSON.parse(on.stdout) as BackendJson;
  assert.equal(a.backend, 'wasm');
  assert.ok(a.kernels, 'kernels reported on wasm');
  const { conv, matmul } = a.kernels;
  assert.ok(['loaded', 'not-installed', 'not-built', 'failed'].includes(conv.addon), conv.addon);
  if (conv.addon === 'loaded') assert.deepEqual([conv.engine, typeof conv.isa], ['native', 'string']);
  else assert.ok(conv.engine === 'wasm' && conv.reason!.length > 0, JSON.stringify(conv));
  assert.ok(['onnxruntime', 'wasm'].includes(matmul.engine) && (matmul.engine === 'onnxruntime' || matmul.reason.length > 0), JSON.stringify(matmul));
  // The thread plan and the dispatch policy, as data.
  const { threads, dispatch } = a.kernels;
  assert.deepEqual([threads.helper, threads.native, threads.onnxruntime], [threads.threads >= 2 ? 1 : 0, threads.threads, threads.threads]);
  assert.equal(dispatch.thresholds.onnxruntimeMinMacs.value, 2 ** 20);
  assert.ok(Object.values(dispatch.thresholds).every((t) => t.why.length > 0 && t.bench.length > 0));

  const off = backend({ CONTRASTIVE_NATIVE_KERNELS: '0' }, '--json');
  assert.equal(off.code, 0, off.stderr);
  const b = JSON.parse(off.stdout) as BackendJson;
  assert.equal(b.kernels!.conv.engine, 'wasm');
  assert.match(b.kernels!.conv.reason!, /turned off \(CONTRASTIVE_NATIVE_KERNELS=0/);
  assert.equal(b.kernels!.conv.addon, conv.addon, 'the addon state is reported when the kernels are off too');

  const text = backend({ CONTRASTIVE_NATIVE_KERNELS: '0', CONTRASTIVE_KERNEL_THREADS: '3' });
  assert.match(text.stdout, /^backend: wasm \(SIMD\)\nconvolution kernels: wasm \(turned off .*\)\ndense matmul: .*\nthreads: 3 \(environment\): helper thread 1, native addon 3, onnxruntime 3, wasm backend 1\n/);
});

test('backend --backend cpu: no kernels of ours run', () => {
  const r = backend({}, '--backend', 'cpu', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { backend: 'cpu', kernels: null });
});

test('the addon state of each way loading it fails: not installed, installed but not built, built but broken', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'contrastive-addon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const errorOf = (load: () => unknown): unknown => {
    try {
      load();
    } catch (err) {
      return err;
    }
    assert.fail('expected the load to throw');
  };
  // a project without the optional package
  writeFileSync(path.join(dir, 'package.json'), '{}');
  const outside = createRequire(path.join(dir, 'index.js'));
  assert.equal(addonStateOf(errorOf(() => outside(NATIVE_ADDON_PACKAGE))), 'not-installed');
  // the package as npm installs it where node-gyp did not run: no build/Release
  const pkg = path.join(dir, 'node_modules', ...NATIVE_ADDON_PACKAGE.split('/'));
  mkdirSync(pkg, { recursive: true });
  copyFileSync(path.join(ROOT, 'packages/kernels-native/index.js'), path.join(pkg, 'index.js'));
  copyFileSync(path.join(ROOT, 'packages/kernels-native/package.json'), path.join(pkg, 'package.json'));
  assert.equal(addonStateOf(errorOf(() => outside(NATIVE_ADDON_PACKAGE))), 'not-built');
  // a build that is not a loadable addon
  mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
  writeFileSync(path.join(pkg, 'build', 'Release', 'contrastive_native.node'), 'not an ELF file');
  const broken = errorOf(() => createRequire(path.join(dir, 'again.js'))(NATIVE_ADDON_PACKAGE));
  assert.equal(addonStateOf(broken), 'failed');
  // a module the addon itself needs is missing: failed, not "not installed"
  assert.equal(addonStateOf(Object.assign(new Error("Cannot find module 'libfoo'"), { code: 'MODULE_NOT_FOUND' })), 'failed');
});
