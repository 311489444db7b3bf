/**
 * A Node project installs every package (@contrastive/cli and all it depends on, and the
 * optional @contrastive/kernels-native) from the tarballs with a plain `npm install`: npm warns
 * about nothing of ours (no EBADENGINE on Node 20; the install-scripts advisory lists only the
 * packages that must build natively), onnxruntime-node is not installed and everything runs on
 * the TF.js path: the `contrastive` command trains, builds an index and searches it; every
 * package loads from an ES module and from CommonJS; the packages' README examples type-check
 * with the README's tsconfig, and those that need no data of their own run. This is the slow
 * one: better-sqlite3 compiles from source where its prebuilt binary cannot be downloaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closureOf, freshProject, installed, markdownBlock, npmWarnings, readmeCompilerOptions, removeProject, report, ROOT, run, tarballs, tsc } from './support.js';

/**
 * The install scripts npm's advisory may list, and why: better-sqlite3 builds the index's SQLite
 * binding; @contrastive/kernels-native (installed here on purpose) builds the native kernels;
 * core-js (a dependency of @tensorflow/tfjs, which the CLI depends on) prints a message. npm 12
 * runs none of them until the project approves them (docs/install.md).
 */
const EXPECTED_INSTALL_SCRIPTS = ['@contrastive/kernels-native', 'better-sqlite3', 'core-js'];

/** Package READMEs whose ```ts example runs here as it is (faces' needs two photos: type-checked only). */
const RUN_README = ['kernels', 'node', 'index', 'signatures'];
const CHECK_README = ['faces', 'kernels-native'];

const nameOf = (spec: string): string => spec.replace(/(.)@.*$/, '$1');

test('a Node project: every package, plain npm install, the CLI and the index on the TF.js path, ESM, CommonJS, TypeScript', { timeout: 1_500_000 }, () => {
  const packs = tarballs();
  const dir = freshProject('node-cli', { name: 'node-consumer' });
  const install = run('npm', ['install', ...Object.values(packs)], dir, { timeoutMs: 1_200_000 });
  report(`node/CLI install (better-sqlite3 and the native kernels compiled): ${(install.ms / 1000).toFixed(0)} s`);

  const warnings = npmWarnings(install.stdout + install.stderr);
  assert.deepEqual(warnings.other, [], 'npm warned (EBADENGINE, deprecated, peer conflicts...)');
  assert.deepEqual([...new Set(warnings.installScripts.map(nameOf))].sort(), EXPECTED_INSTALL_SCRIPTS, 'packages with install scripts');
  const ours = closureOf(dir, Object.keys(packs));
  for (const absent of ['onnxruntime-node', '@tensorflow/tfjs-node', 'pg', 'pgvector']) {
    assert.ok(!ours.includes(absent) && installed(dir, absent) === null, `${absent} was installed`);
  }
  report(`node/CLI node_modules: ${ours.length} packages of ours and below`);

  // The command: version, engines, a short training run, an index built and searched.
  const npx = (...args: string[]) => run('npx', ['--no-install', 'contrastive', ...args], dir, { timeoutMs: 300_000 });
  const version = JSON.parse(readFileSync(path.join(ROOT, 'packages/cli/package.json'), 'utf8')).version as string;
  assert.equal(npx('--version').stdout.trim(), version);
  const backend = JSON.parse(npx('backend', '--json').stdout) as { backend: string; kernels: { conv: { engine: string; reason: string }; matmul: { engine: string; reason: string } } };
  assert.equal(backend.backend, 'wasm');
  assert.equal(backend.kernels.matmul.engine, 'wasm');
  assert.match(backend.kernels.matmul.reason, /onnxruntime-node is not installed; install it: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);
  const built = existsSync(path.join(dir, 'node_modules/@contrastive/kernels-native/build/Release/contrastive_native.node'));
  if (built) assert.match(backend.kernels.conv.engine, /^native/, JSON.stringify(backend.kernels.conv));
  else assert.match(backend.kernels.conv.reason, /not built.*npm rebuild @contrastive\/kernels-native/, JSON.stringify(backend.kernels.conv));
  report(`node/CLI engines: conv ${backend.kernels.conv.engine}, matmul ${backend.kernels.matmul.engine}`);

  const train = npx('train', '--epochs', '1', '--pairs-per-epoch', '2048', '--hidden', '64', '--embedding-dim', '16', '--out', 'runs/tiny', '--seed', '1');
  report(`contrastive train (1 epoch, 2048 pairs): ${(train.ms / 1000).toFixed(1)} s`);
  assert.ok(existsSync(path.join(dir, 'runs/tiny/model/manifest.json')), `no bundle:\n${train.stdout}${train.stderr}`);
  npx('index', 'build', '--model', 'runs/tiny', '--dataset', 'mnist', '--split', 'test', '--out', 'digits.sqlite', '--json');
  const search = JSON.parse(npx('index', 'search', '--index', 'digits.sqlite', '--model', 'runs/tiny', '--json', '-k', '3', 'mnist:7').stdout) as unknown;
  const hits = JSON.stringify(search);
  assert.match(hits, /"distance"/, `search answered ${hits}`);
  assert.equal((hits.match(/"distance"/g) ?? []).length, 3, `three hits: ${hits}`);

  // Every package from an ES module and from CommonJS.
  const names = Object.keys(packs);
  writeFileSync(path.join(dir, 'all.mjs'), `${names.map((n, i) => `import * as m${i} from '${n}';`).join('\n')}\nconsole.log(JSON.stringify([${names.map((_, i) => `Object.keys(m${i}).length`).join(', ')}]));\n`);
  writeFileSync(path.join(dir, 'all.cjs'), `console.log(JSON.stringify([${names.map((n) => `Object.keys(require('${n}')).length`).join(', ')}]));\n`);
  const esm = JSON.parse(run(process.execPath, ['all.mjs'], dir).stdout) as number[];
  const cjs = run(process.execPath, ['all.cjs'], dir);
  const fromCjs = JSON.parse(cjs.stdout) as number[];
  // require() of an ES module gives its namespace: the same exports. (@contrastive/kernels-native is CommonJS: its namespace adds 'default'.)
  names.forEach((n, i) => n !== '@contrastive/kernels-native' && assert.equal(fromCjs[i], esm[i], `${n}: ${fromCjs[i]} exports from require, ${esm[i]} from import`));
  assert.ok(fromCjs.every((n) => n > 0), `exports: ${JSON.stringify(fromCjs)}`);
  assert.doesNotMatch(cjs.stderr, /ExperimentalWarning|ERR_REQUIRE/);

  // The package READMEs' examples: type-checked with the README's tsconfig, run where they need nothing else.
  const ts = path.join(dir, 'readmes');
  mkdirSync(ts);
  const readmes = [...RUN_README, ...CHECK_README];
  writeFileSync(
    path.join(ts, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { ...readmeCompilerOptions(), outDir: 'out', typeRoots: [path.join(ROOT, 'node_modules/@types')], types: ['node'] }, include: ['*.mts'] }, null, 2),
  );
  for (const p of readmes) writeFileSync(path.join(ts, `${p}.mts`), markdownBlock(`packages/${p}/README.md`, '```ts', 'ts'));
  tsc(ts);
  const outputs: Record<string, string> = {};
  for (const p of RUN_README) {
    const r = run(process.execPath, [path.join('out', `${p}.mjs`)], ts, { timeoutMs: 300_000 });
    assert.equal(r.stderr, '', `the ${p} README example wrote to stderr`);
    outputs[p] = r.stdout;
  }
  assert.match(outputs.kernels, /^wasm \[ 3, 3, 1, 16 \]$/m);
  assert.match(outputs.node, /^0\.\d+ 0\.\d+$/m);
  assert.match(outputs.index, /id: 'a'/);
  const [same, forged] = outputs.signatures.trim().split(' ').map(Number);
  assert.ok(same < forged, `DTW: genuine pair ${same}, forgery ${forged}`);
  removeProject(dir);
});
