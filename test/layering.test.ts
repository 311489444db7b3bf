/**
 * The layering of the packages: no import circle between files, and no import that goes
 * up a layer. Packages, lowest first (a package may import itself and any package of a
 * lower layer; packages of one layer may not import each other); inside a package, its
 * top-level entries (a folder, or a file at the root of src/) in layers the same way.
 * Upward imports count every import, type-only ones included; circles count the imports
 * that exist at run time (an `import type` / `export type` statement is erased by the
 * compiler, so a circle through one is no circle when the code runs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Package folders under packages/, lowest layer first. */
export const PACKAGE_LAYERS: readonly (readonly string[])[] = [['kernels'], ['contrastive'], ['node'], ['index', 'faces', 'signatures'], ['cli']];

/** Inside each package: its top-level entries, lowest layer first ('*': every entry not named). */
export const LAYERS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  kernels: [['errors.ts', 'optional-package.ts', 'platform', 'host.ts', 'wasm-binary.ts'], ['onnx'], ['*']],
  contrastive: [['errors.ts', 'version.ts', 'util'], ['distances'], ['losses', 'miners', 'samplers'], ['models'], ['data'], ['eval'], ['train', 'platform'], ['index.ts']],
  node: [['util'], ['engine'], ['data'], ['models'], ['export'], ['report'], ['train'], ['index.ts']],
  index: [['*'], ['index.ts']],
  faces: [['*'], ['index.ts']],
  signatures: [['*'], ['index.ts']],
  cli: [['jobs'], ['serve', 'cli'], ['index.ts']],
};

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = path.join(ROOT, 'packages');
const PACKAGE_OF_NAME: Record<string, string> = { contrastive: 'contrastive' };
for (const dir of PACKAGE_LAYERS.flat()) if (dir !== 'contrastive') PACKAGE_OF_NAME[`@contrastive/${dir}`] = dir;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * Specifiers of every static import/export ... from and dynamic import() of a file that
 * name this repository's code (relative, '#platform/', a workspace package), comments
 * stripped; with `runtimeOnly`, without `import type` / `export type` statements.
 */
export function importsOf(source: string, runtimeOnly = false): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  const re = /\b(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (runtimeOnly && m[1]) continue;
    const spec = m[2] ?? m[3];
    if (spec.startsWith('.') || spec.startsWith('#') || /^(contrastive|@contrastive\/[a-z-]+)(\/|$)/.test(spec)) specs.push(spec);
  }
  return specs;
}

/** The package folder and top-level entry of src/ a file belongs to. */
function placeOf(file: string): { pkg: string; area: string } {
  const [pkg, , area] = path.relative(PACKAGES, file).split(path.sep);
  return { pkg, area };
}
const areaOf = (file: string): string => {
  const { pkg, area } = placeOf(file);
  return `${pkg}:${area}`;
};

function layerOf(area: string): number {
  const [pkg, entry] = area.split(':');
  const p = PACKAGE_LAYERS.findIndex((layer) => layer.includes(pkg));
  const inner = LAYERS[pkg] ?? [];
  let a = inner.findIndex((layer) => layer.includes(entry));
  if (a < 0) a = inner.findIndex((layer) => layer.includes('*'));
  return p < 0 || a < 0 ? -1 : p * 100 + a;
}

/** The files a specifier names ('#platform/' names both variants). */
function resolveImport(from: string, spec: string): string[] {
  const ts = (s: string): string => s.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts');
  if (spec.startsWith('.')) return [ts(path.resolve(path.dirname(from), spec))];
  const { pkg } = placeOf(from);
  if (spec.startsWith('#platform/')) {
    const rest = ts(spec.slice('#platform/'.length));
    return ['node', 'browser'].map((v) => path.join(PACKAGES, pkg, 'src', 'platform', v, rest));
  }
  const m = /^(contrastive|@contrastive\/[a-z-]+)(?:\/internal\/(.+))?$/.exec(spec);
  const dir = m && PACKAGE_OF_NAME[m[1]];
  if (!dir) return [path.join(PACKAGES, '?', spec)];
  return [path.join(PACKAGES, dir, 'src', m[2] ? ts(m[2]) : 'index.ts')];
}

const files = PACKAGE_LAYERS.flat().flatMap((p) => sourceFiles(path.join(PACKAGES, p, 'src')));
const sources = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const graph = new Map(files.map((f) => [f, importsOf(sources.get(f)!).flatMap((s) => resolveImport(f, s))]));
const runtimeGraph = new Map(files.map((f) => [f, importsOf(sources.get(f)!, true).flatMap((s) => resolveImport(f, s))]));
const rel = (f: string): string => path.relative(PACKAGES, f);

test('the import parser reads every form of import the code uses', () => {
  const src = [
    "import * as tf from '@tensorflow/tfjs';",
    "import { a, type B } from '../a.js';",
    "import type { C } from './c.js';",
    "export * from './d/index.js';",
    "export { e } from '../e.js';",
    "// import { no } from './commented.js';",
    "/* import { no } from './block.js'; */",
    "const m = await import('./f.js');",
    "import './side-effect.js';",
  ].join('\n');
  assert.deepEqual(importsOf(src + "\nimport { h } from 'contrastive/internal/h.js';\nimport z from 'zod';"), ['../a.js', './c.js', './d/index.js', '../e.js', './f.js', './side-effect.js', 'contrastive/internal/h.js']);
  assert.deepEqual(importsOf(src + "\nexport type { G } from './g.js';", true), ['../a.js', './d/index.js', '../e.js', './f.js', './side-effect.js']);
});

test('every package and every top-level entry of its src/ has a layer', () => {
  const unplaced = [...new Set(files.map(areaOf))].filter((a) => layerOf(a) < 0);
  assert.deepEqual(unplaced, [], `add these to PACKAGE_LAYERS / LAYERS in test/layering.test.ts: ${unplaced.join(', ')}`);
});

test('every package folder has a layer', () => {
  const dirs = readdirSync(PACKAGES, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'kernels-native').map((e) => e.name);
  assert.deepEqual(dirs.filter((d) => !PACKAGE_LAYERS.flat().includes(d)), []);
});

test('every import of our code names a file that exists', () => {
  const missing = [...graph].flatMap(([f, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${rel(f)} -> ${rel(t)}`));
  assert.deepEqual(missing, []);
});

test('no import goes up a layer', () => {
  const upward: string[] = [];
  for (const [f, targets] of graph) {
    const from = layerOf(areaOf(f));
    for (const t of targets) {
      const to = layerOf(areaOf(t));
      const sideways = placeOf(f).pkg !== placeOf(t).pkg && Math.floor(to / 100) === Math.floor(from / 100);
      if (to > from || sideways) upward.push(`${rel(f)} (${areaOf(f)}, layer ${from}) imports ${rel(t)} (${areaOf(t)}, layer ${to})`);
    }
  }
  assert.deepEqual(upward, [], `upward imports:\n${upward.join('\n')}`);
});

test('no import circle between files of the packages (at run time)', () => {
  // Depth-first search; a back edge to a file on the current path closes a circle.
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of runtimeGraph.get(f) ?? []) {
      if (!runtimeGraph.has(t)) continue;
      if (state.get(t) === 'open') circles.push([...stack.slice(stack.indexOf(t)), t].map(rel).join(' -> '));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(circles, [], `import circles:\n${circles.join('\n')}`);
});
