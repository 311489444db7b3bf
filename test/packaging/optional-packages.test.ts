/**
 * Optional and peer packages, missing: each place that loads one either falls back silently
 * (TF.js for onnxruntime-node, wasm kernels for @contrastive/kernels-native) or, where the
 * feature needs it, throws one ContrastiveError naming the package and the install command.
 * The packages are installed in this checkout, so this file hides them: Node's CommonJS
 * resolver (every optional package is loaded with `require`) is patched before any module
 * under test loads, and answers "Cannot find module" for the hidden names, as it does where
 * they are not installed. better-sqlite3 stays visible but its native binding does not (its
 * loader, `bindings`, is hidden), as after an --ignore-scripts install.
 */
// npm test: own process (it patches Node's module resolver to hide packages)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Module, { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const HIDDEN = ['onnxruntime-node', '@contrastive/kernels-native', 'sharp', 'pg', 'pgvector', 'bindings', 'usearch'];

type Resolve = (request: string, ...rest: unknown[]) => string;
const resolver = Module as unknown as { _resolveFilename: Resolve };
const resolve = resolver._resolveFilename;
resolver._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  const name = request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
  if (HIDDEN.includes(name)) {
    const err = new Error(`Cannot find module '${request}'\nRequire stack:\n- (hidden by optional-packages.test.ts)`) as NodeJS.ErrnoException;
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};

// Loaded after the patch (the modules load the optional packages lazily, but keep it certain).
const { ContrastiveError } = await import('../../packages/kernels/src/errors.js');
const { isMissingPackage, missingPackageError, packageProblem } = await import('../../packages/kernels/src/optional-package.js');
const { convEngine, loadOnnxRuntime, matMulEngine } = await import('../../packages/kernels/src/index.js');
const { initBackend } = await import('../../packages/node/src/engine/backend.js');
const { decodeImageBytes } = await import('../../packages/node/src/data/image.js');
const { knn } = await import('../../packages/contrastive/src/eval/knn.js');
const { EmbeddingIndex } = await import('../../packages/index/src/embedding-index.js');
const { AnnGraph } = await import('../../packages/index/src/ann.js');
await initBackend('wasm');

/** Asserts a ContrastiveError UNSUPPORTED whose message holds every part. */
function unsupported(err: unknown, ...parts: string[]): true {
  assert.ok(err instanceof ContrastiveError, `expected a ContrastiveError, got ${String(err)}`);
  assert.equal(err.code, 'UNSUPPORTED', err.message);
  for (const p of parts) assert.ok(err.message.includes(p), `'${err.message}' lacks '${p}'`);
  assert.ok(!err.message.includes('\n'), `one line: '${err.message}'`);
  return true;
}

test("isMissingPackage tells the package missing from one of its files or dependencies missing", async () => {
  const require = createRequire(import.meta.url);
  let fromRequire: unknown;
  try {
    require('contrastive-no-such-package/sub.js');
  } catch (err) {
    fromRequire = err;
  }
  assert.equal(isMissingPackage(fromRequire, 'contrastive-no-such-package'), true);
  assert.equal(isMissingPackage(fromRequire, 'contrastive-no-such'), false);
  const missing = 'contrastive-no-such-package';
  const fromImport = await import(missing).catch((err: unknown) => err);
  assert.equal(isMissingPackage(fromImport, 'contrastive-no-such-package'), true);
  // pg installed, one of its own dependencies gone: not "pg is not installed".
  const nested = Object.assign(new Error("Cannot find module 'pg-types'"), { code: 'MODULE_NOT_FOUND' });
  assert.equal(isMissingPackage(nested, 'pg'), false);
  assert.equal(isMissingPackage(new Error("Cannot find module 'pg'"), 'pg'), false, 'no code: not a resolver error');
  assert.match(packageProblem('pg', nested), /^pg is installed but failed to load \(Cannot find module 'pg-types'\); reinstall it: npm install pg$/);
  const e = missingPackageError('EmbeddingIndex.open', 'pg', fromRequire);
  assert.ok(e.cause === fromRequire);
});

test('onnxruntime-node missing: the k-NN and the dense matmuls fall back to TF.js silently; OnnxEmbedder names the package', async () => {
  const r = knn([[0, 0], [1, 1], [5, 5]], [[0, 0.1], [5, 5.1]], 1);
  assert.deepEqual(Array.from(r.indices), [0, 0, 1]);
  const m = matMulEngine();
  assert.equal(m.engine, 'wasm');
  assert.match(m.reason, /^onnxruntime-node is not installed; install it: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node$/);
  assert.throws(() => knn([[0, 0]], [[1, 1]], 1, 'euclidean', { engine: 'onnxruntime' }), (err: unknown) => {
    assert.ok(err instanceof ContrastiveError && /knn: engine 'onnxruntime' is not available here: onnxruntime-node is not installed; install it: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/.test(err.message), String(err));
    return true;
  });
  await assert.rejects(loadOnnxRuntime(), (err) =>
    unsupported(err, 'OnnxEmbedder.load needs the package onnxruntime-node, which is not installed; install it: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node'),
  );
});

test('@contrastive/kernels-native missing: the wasm kernels run, and convEngine says how to add it', () => {
  const e = convEngine();
  assert.equal(e.engine, 'wasm');
  assert.equal(e.reason, 'native addon not loaded: @contrastive/kernels-native is not installed; install it: npm install @contrastive/kernels-native');
});

test("@tensorflow/tfjs-node missing: 'auto' picks wasm, 'tensorflow' names the package", async () => {
  // Not installed in this checkout at all (its install script downloads libtensorflow).
  await assert.rejects(initBackend('tensorflow'), (err) =>
    unsupported(err, "initBackend: backend 'tensorflow' is not available: @tensorflow/tfjs-node is not installed; install it: npm install @tensorflow/tfjs-node"),
  );
  assert.equal(await initBackend('auto'), 'wasm');
});

test('sharp missing: decoding an image names sharp and the install with its platform binaries', async () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  await assert.rejects(decodeImageBytes(png, { width: 4, height: 4, channels: 1 }), (err) =>
    unsupported(err, 'decodeImageBytes needs the package sharp, which is not installed; install it: npm install --include=optional sharp'),
  );
});

test("pg / pgvector missing: a postgres:// index names them before connecting", async () => {
  // Port 1 on 127.0.0.1: nothing listens, so reaching the network would be a connection error instead.
  await assert.rejects(EmbeddingIndex.open('postgres://me@127.0.0.1:1/db'), (err) =>
    unsupported(err, 'EmbeddingIndex.open (a postgres:// index) needs the package pg, which is not installed; install it: npm install pg pgvector'),
  );
});

test('usearch missing: building or searching the HNSW graph of a SQLite index names it and its install command', () => {
  // the graph is built after the options are checked and before any index work (SQLite's binding is hidden here too)
  assert.throws(() => AnnGraph.checkOptions({}, 'EmbeddingIndex.build'), (err) =>
    unsupported(err, 'EmbeddingIndex.build: approximate search needs the package usearch, which is not installed; install it: npm install usearch@2.26.2'),
  );
});

test("better-sqlite3 without its native binding: the index says so and how to build it, not 'does not exist'", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'optional-packages-'));
  try {
    // An index file made where the binding works, opened where it does not (the file's content is never read).
    await fs.writeFile(path.join(dir, 'gallery.sqlite'), '');
    for (const attempt of [
      () => EmbeddingIndex.open(path.join(dir, 'gallery.sqlite')),
      () => EmbeddingIndex.create(path.join(dir, 'new.sqlite'), { dim: 2, model: { hash: 'm' } }),
    ]) {
      await assert.rejects(attempt(), (err) =>
        unsupported(err, 'better-sqlite3 has no native binding it can load', "Cannot find module 'bindings'", 'npm rebuild better-sqlite3', 'npm install-scripts approve better-sqlite3'),
      );
    }
    assert.deepEqual(await fs.readdir(dir), ['gallery.sqlite'], 'nothing was created');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
