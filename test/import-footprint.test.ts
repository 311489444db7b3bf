/**
 * What importing a package loads. Each import runs in a fresh process with a
 * module-resolution hook (test/support/package-recorder.mjs, node:module register())
 * that records every file the ES module loader resolves; the CommonJS modules that
 * those require are read from require.cache at the end. The core must load TF.js and
 * its own small dependencies only (no server, database, image codec or onnxruntime);
 * @contrastive/node none of the server, database, face or image-codec packages, which
 * it loads on first use. (Import time is measured by bench/import.ts, not here.)
 */
// npm test: own process (it checks what importing a package loads)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/cli.js';

const RECORDER = pathToFileURL(path.join(ROOT, 'test/support/package-recorder.mjs')).href;

/** Packages no import of the core or of @contrastive/node may load, by what they are. */
const HEAVY: Record<string, RegExp> = {
  server: /^(fastify|@fastify\/.*|commander|cli-progress|@contrastive\/cli)$/,
  database: /^(better-sqlite3|sqlite-vec.*|pg|pgvector|pg-.*|@electric-sql\/.*|hnswlib-node|usearch|@contrastive\/index)$/,
  'image codec': /^(sharp|@img\/.*)$/,
  onnxruntime: /^onnxruntime-.*$/,
  face: /^(@vladmandic\/face-api|@contrastive\/faces)$/,
};

/** The packages a fresh process loads while importing `specifier` (from the sources, as the repository runs). */
function packagesLoadedBy(specifier: string): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'contrastive-imports-'));
  try {
    const record = path.join(dir, 'resolved.txt');
    const code = `
      import { register, createRequire } from 'node:module';
      import { writeFileSync } from 'node:fs';
      register(${JSON.stringify(RECORDER)}, { data: { file: ${JSON.stringify(record)} } });
      await import(${JSON.stringify(specifier)});
      writeFileSync(${JSON.stringify(record)}, Object.keys(createRequire(import.meta.url).cache).map((f) => 'file://' + f).join('\\n') + '\\n', { flag: 'a' });
    `;
    const r = spawnSync(process.execPath, ['--conditions=contrastive-source', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `importing ${specifier}: exit ${r.status}: ${r.stderr.slice(-600)}`);
    const names = new Set<string>();
    for (const url of readFileSync(record, 'utf8').split('\n')) {
      const dep = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      const ours = /\/packages\/([^/]+)\//.exec(url);
      if (dep) names.add(dep[1]);
      else if (ours) names.add(ours[1] === 'contrastive' ? 'contrastive' : `@contrastive/${ours[1]}`);
    }
    // the loader of TypeScript sources, not a dependency
    for (const tool of ['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']) names.delete(tool);
    return [...names].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function heavyIn(loaded: string[]): string[] {
  return loaded.flatMap((name) => Object.entries(HEAVY).filter(([, re]) => re.test(name)).map(([what]) => `${name} (${what})`));
}

/** TF.js (every package of it and its own dependencies), our kernels, the schema library. */
const CORE_ALLOWED = /^(contrastive|@contrastive\/kernels|@tensorflow\/tfjs(-[a-z-]+)?|long|seedrandom|valibot)$/;

for (const specifier of ['contrastive', 'contrastive/browser']) {
  test(`import '${specifier}' loads TF.js, our kernels and valibot only`, () => {
    const loaded = packagesLoadedBy(specifier);
    assert.deepEqual(heavyIn(loaded), []);
    assert.deepEqual(loaded.filter((name) => !CORE_ALLOWED.test(name)), [], `loaded: ${loaded.join(', ')}`);
    assert.ok(loaded.includes('@tensorflow/tfjs') && loaded.includes('contrastive'), `loaded: ${loaded.join(', ')}`);
  });
}

test("import '@contrastive/node' loads no server, database, face, image-codec or onnxruntime package", () => {
  const loaded = packagesLoadedBy('@contrastive/node');
  assert.deepEqual(heavyIn(loaded), [], `loaded: ${loaded.join(', ')}`);
  // nor the wasm backend: initBackend imports it
  assert.ok(!loaded.includes('@tensorflow/tfjs-backend-wasm'), `loaded: ${loaded.join(', ')}`);
  assert.ok(loaded.includes('@contrastive/node'));
});

test('the recorder sees a heavy package and what it requires (the checks above can fail)', () => {
  const loaded = packagesLoadedBy('sharp');
  assert.ok(loaded.includes('sharp') && loaded.some((name) => name.startsWith('@img/')), `loaded: ${loaded.join(', ')}`);
});
