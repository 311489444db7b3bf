/**
 * The package.json of each package says what users need (the fast half of the install tests;
 * the slow half installs the tarballs: *.install.ts, `npm run test:packages`):
 * - every package a package's code loads (import, import(), require, or by a name constant for
 *   the optional ones) is declared there, as a dependency or a peer: under pnpm's strict
 *   node_modules, and for npm users who install only that package, an undeclared one is missing;
 * - optional packages are optional peers; our packages depend on each other at one version;
 * - no install script but the native addon's; a README and the repository's LICENSE in each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { ROOT } from './support.js';

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[]; version: string };
const packages = root.workspaces.map((w) => ({ dir: path.join(ROOT, w), pkg: JSON.parse(readFileSync(path.join(ROOT, w, 'package.json'), 'utf8')) as Manifest }));
const ours = new Set(packages.map((p) => p.pkg.name));

/** Packages loaded only where a feature needs them: optional peers wherever they are loaded. */
const OPTIONAL = ['onnxruntime-node', '@tensorflow/tfjs-node', '@contrastive/kernels-native', 'pg', 'pgvector'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|mts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The package names a source file loads: import/export from, import(), require(), require.resolve(), and `*_PACKAGE = '...'` constants. */
export function packagesLoadedBy(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const re = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire(?:\.resolve)?\(\s*['"`]([^'"`$]+)['"`]\s*\)|\b[A-Z_]+_PACKAGE\s*=\s*'([^']+)'/g;
  const names = new Set<string>();
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (spec.startsWith('.') || spec.startsWith('#') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
  return [...names];
}

test('the scanner reads every way the code loads a package', () => {
  const src = [
    "import * as tf from '@tensorflow/tfjs';",
    "import type { X } from 'pg';",
    "export { y } from 'zod/v4';",
    "const a = await import('sharp');",
    "const b = require('pgvector/pg');",
    "const c = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');",
    "export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';",
    "import { z } from './local.js'; import fs from 'node:fs'; import os from 'os'; import p from '#platform/host.js';",
    "// import nope from 'commented-out';",
  ].join('\n');
  assert.deepEqual(packagesLoadedBy(src).sort(), ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node', 'pg', 'pgvector', 'sharp', 'zod']);
});

test("every package a package's code loads is declared in its package.json", () => {
  const undeclared: string[] = [];
  for (const { dir, pkg } of packages) {
    const declared = new Set([pkg.name, ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })]);
    const code = ['src', 'bin', 'scripts'].filter((d) => existsSync(path.join(dir, d))).flatMap((d) => sources(path.join(dir, d)));
    code.push(...readdirSync(dir).filter((f) => /\.[cm]?js$/.test(f)).map((f) => path.join(dir, f)));
    for (const file of code.filter((f) => !f.includes(`${path.sep}page${path.sep}`))) {
      const text = readFileSync(file, 'utf8');
      for (const name of packagesLoadedBy(text)) {
        // typescript serves the page from the sources in this repository only (a build serves its .js).
        if (name === 'typescript' && file.endsWith(path.join('serve', 'assets.ts'))) continue;
        if (!declared.has(name)) undeclared.push(`${pkg.name}: ${path.relative(ROOT, file)} loads ${name}`);
      }
    }
  }
  assert.deepEqual(undeclared, []);
});

test('optional packages are optional peers; our packages depend on each other at the one version', () => {
  for (const { pkg } of packages) {
    for (const name of OPTIONAL) {
      if (pkg.dependencies?.[name] || pkg.optionalDependencies?.[name]) assert.fail(`${pkg.name} depends on the optional ${name}: make it an optional peer`);
      if (pkg.peerDependencies?.[name]) assert.equal(pkg.peerDependenciesMeta?.[name]?.optional, true, `${pkg.name}: peer ${name} is not optional`);
    }
    for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies })) {
      if (ours.has(name)) assert.equal(range, root.version, `${pkg.name} wants ${name}@${range}, not the workspace version ${root.version}`);
    }
    assert.equal(pkg.version, root.version, `${pkg.name} is at ${pkg.version}`);
  }
});

test('no install script but the native addon’s; every package has a README and the LICENSE', () => {
  const license = readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
  for (const { dir, pkg } of packages) {
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) {
      if (pkg.scripts?.[s] && pkg.name !== '@contrastive/kernels-native') assert.fail(`${pkg.name} has a ${s} script`);
    }
    const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
    assert.ok(readme.startsWith(`# ${pkg.name}\n`), `${pkg.name}: README.md starts with its name`);
    assert.match(readme, new RegExp(`npm install[^\\n]*${pkg.name.replace('/', '\\/')}`), `${pkg.name}: README.md has its install line`);
    assert.match(readme, /\]\(\.\.\/\.\.\/README\.md\)/, `${pkg.name}: README.md links the root README`);
    assert.equal(readFileSync(path.join(dir, 'LICENSE'), 'utf8'), license, `${pkg.name}: LICENSE differs from the repository's`);
  }
});
