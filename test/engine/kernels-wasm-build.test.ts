/**
 * The committed packages/kernels/wasm/contrastive-kernels.wasm is what scripts/build-wasm.sh
 * makes from csrc/kernels.c (the rebuild runs only where the same clang is installed: apt-get
 * install clang lld), and src/wasm-binary.ts embeds exactly those bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../packages/kernels', import.meta.url));
const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
const version = clang.status === 0 ? clang.stdout.split('\n')[0] : undefined;
const recorded = readFileSync(path.join(root, 'wasm/contrastive-kernels.compiler.txt'), 'utf8').trim();
const skip = version === undefined
  ? 'clang is not installed (apt-get install clang lld): cannot rebuild the kernels to compare'
  : version !== recorded
    ? `clang here is '${version}', the committed binary was built with '${recorded}': bytes would differ`
    : false;

test('the committed kernel binaries match a rebuild from csrc/kernels.c', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'contrastive-wasm-'));
  try {
    const r = spawnSync('sh', [path.join(root, 'scripts/build-wasm.sh'), dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `build failed: ${r.stderr}`);
    for (const name of ['contrastive-kernels.wasm', 'contrastive-kernels-shared.wasm']) {
      assert.ok(readFileSync(path.join(dir, name)).equals(readFileSync(path.join(root, 'wasm', name))),
        `wasm/${name} is stale: run scripts/build-wasm.sh and commit the result`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('src/wasm-binary.ts embeds the committed kernel binary', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/embed-wasm.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
