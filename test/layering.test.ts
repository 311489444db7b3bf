/**
 * The layering of src/: no import circle between files, and no import that goes
 * up a layer. Layers, lowest first (a folder may import its own files and any
 * folder of a lower layer; folders of one layer may import each other, the
 * circle check keeping them apart). Upward imports count every import, type-only
 * ones included; circles count the imports that exist at run time (an
 * `import type` / `export type` statement is erased by the compiler, so a
 * circle through one is no circle when the code runs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'version.ts', 'util'],
  ['onnx'], // the protobuf writer and the runtime loader: the engine's native matmul uses them
  ['engine'],
  ['distances'],
  ['losses', 'miners', 'samplers'],
  ['models'],
  ['data'],
  ['eval'],
  ['train'],
  ['export'],
  ['index', 'faces', 'signatures', 'report'],
  ['jobs'],
  ['serve', 'cli'],
  ['index.ts'],
];

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/**
 * Relative specifiers of every static import/export ... from and dynamic import() of a
 * file (comments stripped); with `runtimeOnly`, without `import type` / `export type` statements.
 */
export function importsOf(source: string, runtimeOnly = false): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  const re = /\b(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (runtimeOnly && m[1]) continue;
    const spec = m[2] ?? m[3];
    if (spec.startsWith('.')) specs.push(spec);
  }
  return specs;
}

/** The top-level entry of src/ a file belongs to: its folder, or the file itself at the root. */
const areaOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0];

function layerOf(area: string): number {
  return LAYERS.findIndex((layer) => layer.includes(area));
}

function resolveImport(from: string, spec: string): string {
  const target = path.resolve(path.dirname(from), spec);
  return target.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts');
}

const files = sourceFiles(SRC);
const sources = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const graph = new Map(files.map((f) => [f, importsOf(sources.get(f)!).map((s) => resolveImport(f, s))]));
const runtimeGraph = new Map(files.map((f) => [f, importsOf(sources.get(f)!, true).map((s) => resolveImport(f, s))]));
const rel = (f: string): string => path.relative(SRC, f);

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
  assert.deepEqual(importsOf(src), ['../a.js', './c.js', './d/index.js', '../e.js', './f.js', './side-effect.js']);
  assert.deepEqual(importsOf(src + "\nexport type { G } from './g.js';", true), ['../a.js', './d/index.js', '../e.js', './f.js', './side-effect.js']);
});

test('every top-level entry of src/ has a layer', () => {
  const unplaced = [...new Set(files.map(areaOf))].filter((a) => layerOf(a) < 0);
  assert.deepEqual(unplaced, [], `add these to LAYERS in test/layering.test.ts: ${unplaced.join(', ')}`);
});

test('every relative import names a file that exists', () => {
  const missing = [...graph].flatMap(([f, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${rel(f)} -> ${rel(t)}`));
  assert.deepEqual(missing, []);
});

test('no import goes up a layer', () => {
  const upward: string[] = [];
  for (const [f, targets] of graph) {
    const from = layerOf(areaOf(f));
    for (const t of targets) {
      const to = layerOf(areaOf(t));
      if (to > from) upward.push(`${rel(f)} (${areaOf(f)}, layer ${from}) imports ${rel(t)} (${areaOf(t)}, layer ${to})`);
    }
  }
  assert.deepEqual(upward, [], `upward imports:\n${upward.join('\n')}`);
});

test('no import circle between files of src/ (at run time)', () => {
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
