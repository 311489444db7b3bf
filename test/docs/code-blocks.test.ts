/**
 * Every code block of the documentation compiles and runs as written: the ```ts blocks of
 * README.md and docs/**\/*.md and the `@example` blocks of the doc comments (see
 * test/support/doc-blocks.ts for how a block is kept to the type check). One tsc run
 * type-checks all of them against the workspace sources, as a user's project would import
 * the packages; the runnable ones then run one after another in one child process, each in
 * a fresh working directory, so TF.js and MNIST load once.
 *
 * The type check reads the blocks from one directory that stays between runs
 * (.tmp-doc-blocks-check/, ignored by git), each block in the same file while its text is the
 * same: tsc's incremental state then skips every file, block or source, that did not change
 * since the last run, instead of checking all the blocks anew under fresh names.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/cli.js';
import { docBlocks, type DocBlock } from '../support/doc-blocks.js';

const blocks = docBlocks(ROOT);
// Inside the repository (".tmp-*" is ignored by git), so that 'contrastive', '@contrastive/*' and
// '@tensorflow/tfjs' resolve from its node_modules exactly as in a project that installed them.
let dir = '';
const fileOf = (k: number): string => `block-${String(k).padStart(3, '0')}.ts`;
const where = (b: DocBlock): string => `${b.file}:${b.line} (${b.heading})`;

/** The text of block `k`'s file. A block without import or export is a script to TypeScript: each one is made a module of its own. */
const sourceOf = (b: DocBlock): string => `// ${where(b)}\n${b.code}${/^\s*(import|export)\s/m.test(b.code) ? '' : 'export {};\n'}`;
const PACKAGE_JSON = JSON.stringify({ type: 'module', private: true });

/** Writes `text` to `file` unless it holds it already (then its time stays, for tsc), through a rename: a run beside this one reads whole files. */
function writeIfChanged(file: string, text: string): void {
  try {
    if (readFileSync(file, 'utf8') === text) return;
  } catch {
    // not there yet
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

before(async () => {
  dir = await fs.mkdtemp(path.join(ROOT, '.tmp-doc-blocks-'));
  await fs.writeFile(path.join(dir, 'package.json'), PACKAGE_JSON);
  for (const [k, b] of blocks.entries()) await fs.writeFile(path.join(dir, fileOf(k)), sourceOf(b));
});

after(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test('the documentation has code blocks, and each typecheck-only block says why', () => {
  const files = new Set(blocks.map((b) => b.file));
  assert.ok(files.has('README.md'), 'README.md has ```ts blocks');
  assert.ok([...files].some((f) => f.startsWith('docs/')), 'docs/ has ```ts blocks');
  assert.ok([...files].some((f) => f.startsWith('packages/')), 'the doc comments have @example blocks');
  for (const b of blocks) if (b.mode === 'typecheck') assert.ok(b.reason && b.reason.length > 3, `${where(b)}: say why it does not run`);
});

test('every code block of the documentation type-checks (one tsc run)', () => {
  const tsc = createRequire(path.join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  // Incremental: the workspace sources the blocks import, unchanged since the last run, are not
  // checked again (the state lives outside the run's fresh directory, in node_modules/.cache/).
  const state = path.join(ROOT, 'node_modules', '.cache', 'contrastive', 'doc-blocks.tsbuildinfo');
  mkdirSync(path.dirname(state), { recursive: true });
  // The blocks under the same names run after run (see the module comment); a block no longer in the docs leaves.
  const check = path.join(ROOT, '.tmp-doc-blocks-check');
  mkdirSync(check, { recursive: true });
  writeIfChanged(path.join(check, 'package.json'), PACKAGE_JSON);
  writeIfChanged(path.join(check, 'tsconfig.json'), JSON.stringify({
    extends: '../tsconfig.base.json',
    compilerOptions: { noEmit: true, customConditions: ['contrastive-source'], types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')] },
    include: ['*.ts'],
  }));
  const files = new Set(blocks.map((_, k) => fileOf(k)));
  for (const f of readdirSync(check)) if (/^block-\d{3}\.ts$/.test(f) && !files.has(f)) rmSync(path.join(check, f), { force: true });
  for (const [k, b] of blocks.entries()) writeIfChanged(path.join(check, fileOf(k)), sourceOf(b));
  const r = spawnSync(process.execPath, [tsc, '-p', check, '--pretty', 'false', '--incremental', '--tsBuildInfoFile', state], { cwd: check, encoding: 'utf8' });
  // Name the documentation's place of each error, not the generated file's.
  const out = `${r.stdout}${r.stderr}`.replace(/block-(\d{3})\.ts\((\d+),(\d+)\)/g, (_, k: string, line: string, col: string) => {
    const b = blocks[Number(k)];
    return `${b.file}:${b.line + Number(line) - 1}:${col} [${b.heading}]`;
  });
  assert.equal(r.status, 0, `tsc:\n${out}`);
});

test('every runnable code block runs as written', async () => {
  const runnable = [...blocks.entries()].filter(([, b]) => b.mode === 'run');
  const cwds = await Promise.all(runnable.map(() => fs.mkdtemp(path.join(os.tmpdir(), 'doc-block-'))));
  const MARK = '=== doc block ';
  const runner = [
    `const blocks = ${JSON.stringify(runnable.map(([k], i) => ({ file: path.join(dir, fileOf(k)), cwd: cwds[i], k })))};`,
    'for (const b of blocks) {',
    `  console.log(${JSON.stringify(MARK)} + b.k);`,
    '  process.chdir(b.cwd);',
    "  await import('file://' + b.file);",
    '}',
    // A block may leave a handle open (a server, a database); the blocks are done.
    'process.exit(0);',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--conditions=contrastive-source', '--import', 'tsx', '--input-type=module', '-e', runner], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 240_000,
  });
  const parts = new Map<number, string>();
  for (const part of r.stdout.split(MARK).slice(1)) {
    const nl = part.indexOf('\n');
    parts.set(Number(part.slice(0, nl)), part.slice(nl + 1));
  }
  const last = [...parts.keys()].at(-1);
  const failed = r.status !== 0 && last !== undefined ? `\nfailed in ${where(blocks[last])}` : '';
  assert.equal(r.status, 0, `the blocks exited with ${r.status}${failed}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  assert.deepEqual([...parts.keys()], runnable.map(([k]) => k));

  // The README's library quick start trains, prints retrieval metrics and saves a bundle.
  const quick = runnable.findIndex(([, b]) => b.file === 'README.md' && /library/i.test(b.heading));
  assert.ok(quick >= 0, "README.md has a runnable block under a 'Library' heading");
  assert.match(parts.get(runnable[quick][0])!, /precisionAt1/);
  assert.ok(existsSync(path.join(cwds[quick], 'my-model', 'manifest.json')), 'the quick start saved my-model/');
  await Promise.all(cwds.map((c) => fs.rm(c, { recursive: true, force: true })));
});
