/**
 * A front-end project installs `contrastive` (with its @contrastive/kernels tarball) and
 * @tensorflow/tfjs with a plain `npm install`, as the contrastive README says: no install script
 * or native build of ours runs, npm warns about nothing of ours, our part of node_modules is
 * small, and the packages work from an ES module, from CommonJS (`require`), and from
 * TypeScript with the README's tsconfig (the contrastive README's example compiled and run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closureOf, diskBytes, freshProject, installed, markdownBlock, npmWarnings, readmeCompilerOptions, removeProject, report, run, tarballs, tsc } from './support.js';

/** The peer the user installs beside ours; it and its own dependencies are not ours. */
const USER_PEERS = ['@tensorflow/tfjs'];
/** What our part of node_modules may weigh (7.6 MiB of files on 12-06: zod 6, contrastive and the kernels the rest). */
const MAX_OUR_BYTES = 20 * 1024 * 1024;

test('a front-end project: contrastive + @tensorflow/tfjs, plain npm install, ESM, CommonJS and TypeScript', { timeout: 600_000 }, () => {
  const packs = tarballs();
  const dir = freshProject('frontend', { name: 'frontend-consumer' });
  const install = run('npm', ['install', packs['contrastive'], packs['@contrastive/kernels'], '@tensorflow/tfjs'], dir);
  report(`front-end install: ${(install.ms / 1000).toFixed(1)} s`);

  // npm's output: no warning of ours. The install-scripts advisory may list only the peer's own (core-js, under @tensorflow/tfjs).
  const warnings = npmWarnings(install.stdout + install.stderr);
  assert.deepEqual(warnings.other, [], 'npm warned');
  const ours = closureOf(dir, ['contrastive', '@contrastive/kernels'], USER_PEERS);
  assert.deepEqual(ours, ['@contrastive/kernels', 'contrastive', 'valibot'], 'our packages bring only these');
  const oursWithScripts = warnings.installScripts.filter((p) => ours.includes(p.replace(/(.)@.*$/, '$1')));
  assert.deepEqual(oursWithScripts, [], 'install scripts of ours');
  const tfjsTree = closureOf(dir, USER_PEERS);
  for (const p of warnings.installScripts) assert.ok(tfjsTree.includes(p.replace(/(.)@.*$/, '$1')), `${p}: an install script outside @tensorflow/tfjs's own dependencies`);

  // No install script of ours could run, nothing native was built, no optional peer came along.
  for (const name of ours) {
    const pkg = installed(dir, name)!;
    for (const s of ['preinstall', 'install', 'postinstall']) assert.equal(pkg.scripts?.[s], undefined, `${name} has a ${s} script`);
    assert.ok(!existsSync(path.join(dir, 'node_modules', name, 'build')), `${name} has a build/ folder`);
    assert.ok(!existsSync(path.join(dir, 'node_modules', name, 'binding.gyp')), `${name} has a native addon`);
  }
  for (const absent of ['@contrastive/kernels-native', 'onnxruntime-node', '@tensorflow/tfjs-backend-wasm', 'sharp', 'better-sqlite3']) {
    assert.equal(installed(dir, absent), null, `${absent} was installed`);
  }
  const bytes = ours.reduce((sum, name) => sum + diskBytes(path.join(dir, 'node_modules', name)), 0);
  report(`front-end node_modules: ours ${(bytes / 2 ** 20).toFixed(1)} MiB (${ours.join(', ')}), all ${(diskBytes(path.join(dir, 'node_modules')) / 2 ** 20).toFixed(0)} MiB`);
  assert.ok(bytes < MAX_OUR_BYTES, `our packages take ${bytes} bytes`);

  // An ES module and a CommonJS file, plain JavaScript.
  writeFileSync(
    path.join(dir, 'esm.mjs'),
    [
      "import * as tf from '@tensorflow/tfjs';",
      "import { contrastiveLoss, ContrastiveError, VERSION } from 'contrastive';",
      "import { loadBrowserBundle } from 'contrastive/browser';",
      "import { registerWasmKernels } from '@contrastive/kernels';",
      'const loss = contrastiveLoss(tf.tensor2d([[0, 0]]), tf.tensor2d([[3, 4]]), [1], { margin: 6 });',
      'console.log(JSON.stringify({ loss: (await loss.data())[0], version: VERSION, fns: [typeof loadBrowserBundle, typeof registerWasmKernels, typeof ContrastiveError] }));',
    ].join('\n'),
  );
  const esm = JSON.parse(run(process.execPath, ['esm.mjs'], dir).stdout) as { loss: number; version: string; fns: string[] };
  assert.ok(Math.abs(esm.loss - 0.5) < 1e-6, `loss ${esm.loss}: ½·max(0, 6 - 5)²`);
  assert.deepEqual(esm.fns, ['function', 'function', 'function']);
  writeFileSync(
    path.join(dir, 'cjs.cjs'),
    [
      "const tf = require('@tensorflow/tfjs');",
      "const { contrastiveLoss, VERSION } = require('contrastive');",
      "const { loadBrowserBundle } = require('contrastive/browser');",
      "const kernels = require('@contrastive/kernels');",
      'contrastiveLoss(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 0.5]]), [0]).data().then((d) =>',
      '  console.log(JSON.stringify({ loss: d[0], version: VERSION, fns: [typeof loadBrowserBundle, typeof kernels.registerWasmKernels] })));',
    ].join('\n'),
  );
  const cjs = run(process.execPath, ['cjs.cjs'], dir);
  const fromCjs = JSON.parse(cjs.stdout) as { loss: number; version: string; fns: string[] };
  assert.ok(Math.abs(fromCjs.loss - 0.125) < 1e-6, `loss ${fromCjs.loss}: ½·0.5²`);
  assert.equal(fromCjs.version, esm.version);
  assert.deepEqual(fromCjs.fns, ['function', 'function']);
  assert.doesNotMatch(cjs.stderr, /ExperimentalWarning|ERR_REQUIRE/, 'require() of our ES modules is quiet');

  // TypeScript with the README's tsconfig: the contrastive README's example (an ES module) and a
  // CommonJS file, type-checked against the installed declarations, compiled, and run.
  const ts = path.join(dir, 'ts');
  mkdirSync(ts);
  writeFileSync(path.join(ts, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...readmeCompilerOptions(), outDir: 'out' }, include: ['*.mts', '*.cts'] }, null, 2));
  writeFileSync(path.join(ts, 'readme.mts'), markdownBlock('packages/contrastive/README.md', '```ts', 'ts'));
  writeFileSync(
    path.join(ts, 'main.cts'),
    [
      "import * as tf from '@tensorflow/tfjs';",
      "import { pairDistances, type LabelledDataset } from 'contrastive';",
      'const d: tf.Tensor1D = pairDistances(tf.tensor2d([[0, 0]]), tf.tensor2d([[3, 4]]));',
      'const data: LabelledDataset | null = null;',
      'd.data().then((v) => console.log(v[0], data));',
    ].join('\n'),
  );
  tsc(ts);
  const readme = run(process.execPath, [path.join('out', 'readme.mjs')], ts).stdout;
  assert.match(readme, /^Float32Array\(1\) \[ 0\.0\d+ \]\n/, `the README example printed:\n${readme}`);
  assert.equal(run(process.execPath, [path.join('out', 'main.cjs')], ts).stdout.trim(), '5 null');
  removeProject(dir);
});
