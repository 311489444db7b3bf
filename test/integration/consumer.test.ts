/**
 * The library from a fresh TypeScript project, with the tsconfig docs/getting-started.md
 * shows (module nodenext, skipLibCheck): an ESM project imports it statically
 * with top-level await, a CommonJS project (`npm init -y`) loads it with a
 * dynamic import. One tsc run type-checks both against the sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workspacePaths } from '../support/workspace.js';
import { createRequire } from 'node:module';
import { ROOT } from '../support/cli.js';

const page = readFileSync(path.join(ROOT, 'docs/getting-started.md'), 'utf8');

/** The first ```KIND block after `marker` in docs/getting-started.md. */
function block(marker: string, kind: string): string {
  const at = page.indexOf(marker);
  assert.ok(at >= 0, `docs/getting-started.md has '${marker}'`);
  const m = new RegExp('```' + kind + '\\n([\\s\\S]*?)```').exec(page.slice(at));
  assert.ok(m, `a ${kind} block after '${marker}'`);
  return m![1];
}

test("the tsconfig of docs/getting-started.md type-checks an ESM and a CommonJS consumer project", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'consumer-'));
  const tsconfig = JSON.parse(block('tsconfig.json that works', 'json')) as { compilerOptions: Record<string, unknown> };
  assert.equal(String(tsconfig.compilerOptions.module).toLowerCase(), 'nodenext');
  assert.equal(tsconfig.compilerOptions.skipLibCheck, true);
  // Our packages resolve to their sources here (their types are built from them); @types/node from this checkout.
  tsconfig.compilerOptions.paths = workspacePaths();
  tsconfig.compilerOptions.customConditions = ['contrastive-source'];
  tsconfig.compilerOptions.typeRoots = [path.join(ROOT, 'node_modules/@types')];
  tsconfig.compilerOptions.types = ['node'];
  tsconfig.compilerOptions.noEmit = true;
  await fs.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, include: ['*.ts', 'cjs/*.ts'] }));
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'esm-consumer', type: 'module' }));
  await fs.writeFile(path.join(dir, 'main.ts'), block('An ES module project', 'ts'));
  await fs.mkdir(path.join(dir, 'cjs'));
  await fs.writeFile(path.join(dir, 'cjs', 'package.json'), JSON.stringify({ name: 'cjs-consumer', type: 'commonjs' }));
  await fs.writeFile(path.join(dir, 'cjs', 'main.ts'), block('A CommonJS project', 'ts'));

  const tsc = createRequire(path.join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
});
