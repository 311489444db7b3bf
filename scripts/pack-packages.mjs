#!/usr/bin/env node
// Packs every workspace package with `npm pack` (after `npm run build`) into one folder, as npm
// would publish them, and checks each tarball's file list: what a user needs is there (dist with
// its declarations, src for the source maps, README.md, LICENSE, every file package.json names),
// and nothing else (no tests, no .tsbuildinfo, no build/ of the native addon). Writes
// tarballs.json ({ name: file }) beside the tarballs for the install tests (test/packaging/).
//
//   node scripts/pack-packages.mjs [--out DIR] [--skip-build]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Paths no tarball may hold, with the reason. */
const FORBIDDEN = [
  [/(^|\/)(test|tests|__tests__)\//, 'a test folder'],
  [/\.test\.[cm]?[jt]s$/, 'a test file'],
  [/\.tsbuildinfo$/, 'TypeScript build state'],
  [/^build\//, 'a local build of the native addon'],
  [/(^|\/)node_modules\//, 'node_modules'],
  [/(^|\/)\.[^/]*$/, 'a dot file'],
];

function parseArgs(argv) {
  const args = { out: path.join(ROOT, 'dist-packages'), build: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') args.out = path.resolve(argv[++i]);
    else if (argv[i] === '--skip-build') args.build = false;
    else throw new Error(`pack-packages: unknown argument ${argv[i]} (expected --out DIR, --skip-build)`);
  }
  return args;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pack-packages: ${what} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Every file path a package.json field names (exports/imports targets without the repository-only 'contrastive-source' condition, main, types, bin). */
function namedTargets(pkg) {
  const out = new Set();
  const visit = (v, condition) => {
    if (condition === 'contrastive-source') return;
    if (typeof v === 'string') out.add(v.replace(/^\.\//, ''));
    else if (v && typeof v === 'object') for (const [k, w] of Object.entries(v)) visit(w, k);
  };
  visit(pkg.exports);
  visit(pkg.imports);
  for (const f of [pkg.main, pkg.types]) if (f) out.add(f.replace(/^\.\//, ''));
  for (const f of Object.values(typeof pkg.bin === 'string' ? { bin: pkg.bin } : (pkg.bin ?? {}))) out.add(f.replace(/^\.\//, ''));
  return [...out];
}

/** A pattern target ('dist/platform/node/*.js') as a test on file paths. */
function matcher(target) {
  if (!target.includes('*')) return (f) => f === target;
  const [head, tail] = target.split('*');
  return (f) => f.startsWith(head) && f.endsWith(tail) && f.length > head.length + tail.length;
}

/** The problems of one packed package, given its directory and the paths npm packed. */
export function checkPackage(dir, pkg, files) {
  const problems = [];
  const have = new Set(files);
  for (const f of files) for (const [re, what] of FORBIDDEN) if (re.test(f)) problems.push(`${f}: ${what}`);
  for (const f of ['package.json', 'README.md', 'LICENSE']) if (!have.has(f)) problems.push(`${f} is missing`);
  for (const t of namedTargets(pkg)) if (!files.some(matcher(t))) problems.push(`package.json names ${t}, which the tarball lacks`);
  if (existsSync(path.join(dir, 'tsconfig.build.json'))) {
    if (!files.some((f) => f.startsWith('src/') && f.endsWith('.ts'))) problems.push('no src/*.ts (the source maps point into src/)');
    // Every compiled module has its declarations (assets copied into dist/, such as the serve page's script, have no source here).
    for (const f of files.filter((f) => f.startsWith('dist/') && f.endsWith('.js') && have.has(`src/${f.slice(5, -3)}.ts`))) {
      if (!have.has(f.replace(/\.js$/, '.d.ts'))) problems.push(`${f} has no declaration file`);
    }
  }
  // A source map is shipped with its sources or not at all.
  for (const f of files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
    for (const s of map.sources ?? []) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), map.sourceRoot ?? '', s));
      if (!have.has(target)) problems.push(`${f} points at ${target}, which the tarball lacks`);
    }
  }
  if (pkg.scripts) {
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) {
      if (pkg.scripts[s] && pkg.name !== '@contrastive/kernels-native') problems.push(`an ${s} script: only @contrastive/kernels-native may have one`);
    }
  }
  return problems;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.build) {
    console.log('pack-packages: npm run build');
    run('npm', ['run', 'build', '--silent'], 'npm run build');
  }
  rmSync(args.out, { recursive: true, force: true });
  mkdirSync(args.out, { recursive: true });
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const packed = JSON.parse(run('npm', ['pack', '--workspaces', '--json', '--pack-destination', args.out], 'npm pack'));
  const tarballs = {};
  const problems = [];
  const rows = [];
  for (const p of packed) {
    const dir = root.workspaces.map((w) => path.join(ROOT, w)).find((d) => JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')).name === p.name);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const files = p.files.map((f) => f.path);
    problems.push(...checkPackage(dir, pkg, files).map((m) => `${p.name}: ${m}`));
    tarballs[p.name] = p.filename;
    rows.push([p.name, `${(p.size / 1024).toFixed(0)} KiB`, `${(p.unpackedSize / 1024).toFixed(0)} KiB`, `${p.entryCount} files`]);
  }
  const missing = root.workspaces.length - packed.length;
  if (missing) problems.push(`${missing} workspace package(s) were not packed`);
  for (const f of readdirSync(args.out)) if (!Object.values(tarballs).includes(f)) problems.push(`unexpected file in ${args.out}: ${f}`);
  writeFileSync(path.join(args.out, 'tarballs.json'), JSON.stringify(tarballs, null, 2) + '\n');
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
  if (problems.length) {
    console.error(`pack-packages: ${problems.length} problem(s):\n${problems.map((m) => `  ${m}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`pack-packages: ${packed.length} tarballs in ${args.out}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
