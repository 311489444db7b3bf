// `npm test`: the typecheck and every test file, started together. The typecheck runs beside
// the tests rather than before them (it is one core's work for tens of seconds, and the test
// files leave a core idle while they wait on the processes and pages they start); it is
// incremental, its state kept in node_modules/.cache/ (what it checked last time and unchanged
// is not checked again). Its diagnostics are printed when both are done; the exit code is
// non-zero when either failed.
//
// The test files start slowest first (as the last run of this script timed them, kept in
// node_modules/.cache/contrastive/test-durations.json; a file it has not timed goes first, the
// long ones by experience before the others): a long file started last would run alone at the
// end while the other core idles.
//
// Most test files share a process: `node --test` starts one process per file, and each start
// costs seconds of CPU (tsx, TensorFlow.js and our sources loaded again, the CLI's thread started
// again), more than many a unit test file spends on its tests. So the files that do not need a
// process of their own are dealt into six generated group files
// (node_modules/.cache/contrastive/test-groups/), which `node --test` runs like any other file;
// each runs its members one after another, each member as one test named after the file, its
// hooks its own (scripts/test-group.mjs). What a file changes in the process (the TF.js backend,
// the environment) is seen by the files after it, so a file that needs a process of its own says
// so on a line of its own:
//   // npm test: own process (why)
// The long files that need it (the browser and reliability tests, a few more) get their own
// process too; the groups and they start first. Files named on the command line, and every
// file when a test name pattern or --test-only is given (a pattern must reach the files' own
// tests), run in a process each, as `node --test` runs them.
//
//   node scripts/test.mjs [--test-option=value...] [test files...]
//     (default files: every test/**/*.test.ts; options such as --test-reporter=... go to node --test)
//   TEST_CONCURRENCY=N    test files run at once (default 2)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Every `*.test.ts` under test/, sorted as `find test -name '*.test.ts' | sort` lists them. */
function testFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.test.ts')) out.push(rel);
    }
  };
  walk('test');
  return out.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

const CACHE = path.join(root, 'node_modules/.cache/contrastive');
const DURATIONS = path.join(CACHE, 'test-durations.json');

/** The recorded durations (ms by file), or {} when there are none or they cannot be read. */
function readDurations(file) {
  try {
    const d = JSON.parse(readFileSync(file, 'utf8'));
    return d && typeof d === 'object' && !Array.isArray(d) ? d : {};
  } catch {
    return {};
  }
}

/**
 * Long files by experience that keep a process of their own (a browser, servers under load, the
 * executable spawned, the native kernels' threads), started first where no run has timed them.
 */
const LONG = /^test\/(browser|reliability)\/|^test\/(cli\/smoke|docs\/code-blocks|engine\/native|index\/pgvector)\.test\.ts$/;

/**
 * `files` slowest first: by the duration recorded for each; a file without one (new, or never
 * run by this script) before them all, the groups and the long ones by experience first; ties
 * keep their order.
 */
function slowestFirst(files) {
  const known = readDurations(DURATIONS);
  const cost = (f) => (typeof known[f] === 'number' ? known[f] : Infinity);
  const long = (f) => (LONG.test(f) || f.startsWith(GROUP_DIR) ? 1 : 0);
  return files
    .map((f, k) => ({ f, k, cost: cost(f), long: long(f) }))
    .sort((a, b) => (a.cost === b.cost ? 0 : b.cost > a.cost ? 1 : -1) || b.long - a.long || a.k - b.k)
    .map(({ f }) => f);
}

function exitOf(child) {
  return new Promise((resolve) => {
    child.on('error', (err) => resolve({ code: 1, error: err }));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal }));
  });
}

/** A file's own marker: it needs a process of its own. */
const OWN_PROCESS = /^\/\/ npm test: own process\b/m;

/** How many groups the shared files are dealt into: enough for the two cores to balance the load. */
const GROUPS = 6;
/** Where the group files are written, relative to the root. */
const GROUP_DIR = `${path.relative(root, path.join(CACHE, 'test-groups'))}/`;

/**
 * Writes the group files for `files` (those without a process of their own), each running its
 * members through scripts/test-group.mjs. Returns the group files' paths, relative to the root.
 */
function writeGroups(files) {
  const dir = path.join(root, GROUP_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const groups = Array.from({ length: Math.min(GROUPS, files.length) }, () => []);
  files.forEach((f, k) => groups[k % groups.length].push(f));
  const runner = pathToFileURL(path.join(root, 'scripts/test-group.mjs')).href;
  return groups.map((members, k) => {
    const file = path.join(dir, `shared-${k + 1}.test.mjs`);
    writeFileSync(file, [
      `// Generated by scripts/test.mjs: ${members.length} test files sharing one process.`,
      `import { runGroup } from ${JSON.stringify(runner)};`,
      `await runGroup(${JSON.stringify(pathToFileURL(`${root}/`).href)}, ${JSON.stringify(members, null, 1)});`,
      '',
    ].join('\n'));
    return path.relative(root, file);
  });
}

/** `files` as `node --test` runs them: each long or marked file alone, the others in groups. */
function processes(files) {
  const own = [];
  const shared = [];
  for (const f of files) {
    if (LONG.test(f) || OWN_PROCESS.test(readFileSync(path.join(root, f), 'utf8'))) own.push(f);
    else shared.push(f);
  }
  return [...own, ...writeGroups(shared)];
}

const args = process.argv.slice(2);
const options = args.filter((a) => a.startsWith('-'));
const named = args.filter((a) => !a.startsWith('-'));
mkdirSync(CACHE, { recursive: true });
const filtered = options.some((o) => /^--test-(name-pattern|skip-pattern|only)\b/.test(o));
const files = slowestFirst(named.length > 0 ? named : filtered ? testFiles() : processes(testFiles()));
const timesOut = path.join(CACHE, `test-durations.${process.pid}.json`);
// the usual output on stdout (unless the caller chose reporters), and the files' durations
const reporters = [
  ...(options.some((o) => o.startsWith('--test-reporter')) ? [] : ['--test-reporter=spec', '--test-reporter-destination=stdout']),
  '--test-reporter=./scripts/test-durations.mjs', `--test-reporter-destination=${timesOut}`,
];
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

const tsc = spawn(process.execPath, [
  require.resolve('typescript/bin/tsc'),
  '-p', 'tsconfig.json', '--noEmit',
  '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/contrastive/typecheck.tsbuildinfo',
], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
let tscOutput = '';
tsc.stdout.setEncoding('utf8').on('data', (d) => (tscOutput += d));
tsc.stderr.setEncoding('utf8').on('data', (d) => (tscOutput += d));

const nodeOptions = [process.env.NODE_OPTIONS, '--conditions=contrastive-source'].filter(Boolean).join(' ');
const tests = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...options, ...reporters, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: nodeOptions },
});

const [typecheck, run] = await Promise.all([exitOf(tsc), exitOf(tests)]);
// this run's durations over the recorded ones (a file not run this time keeps its figure)
const measured = readDurations(timesOut);
rmSync(timesOut, { force: true });
if (Object.keys(measured).length > 0) {
  const tmp = `${DURATIONS}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...readDurations(DURATIONS), ...measured }, null, 1)}\n`);
  renameSync(tmp, DURATIONS);
}
if (typecheck.code === 0) {
  process.stdout.write('typecheck: no errors (tsc -p tsconfig.json --noEmit)\n');
} else {
  process.stdout.write(`typecheck FAILED (tsc -p tsconfig.json --noEmit, exit ${typecheck.code}):\n${tscOutput}${typecheck.error ? `${typecheck.error}\n` : ''}`);
}
process.exitCode = typecheck.code !== 0 ? typecheck.code : run.code;
