// Runs the bad-input corpus (corpus.ts) through the CLI, in this process (one start-up for
// hundreds of invocations). Each case must: exit non-zero, print exactly one line
// `contrastive: error: ...` naming the file / row / option, print no stack trace and nothing
// on stdout, and leave the workspace exactly as it was (no partial output, nothing changed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { main } from '../../packages/cli/src/cli/program.js';
import { runTraining } from '../../packages/cli/src/jobs/index.js';
import { writeIdxSet } from '../support/data.js';
import { buildCorpus, type BadCase, type Valid } from './corpus.js';

let dir = '';
let cases: BadCase[] = [];

/** Content hashes by (path, device, inode, size, mtime, ctime): a file whose stat is unchanged is not read again. */
const hashes = new Map<string, string>();

/**
 * Every path under `root` with its kind or content hash. Synchronous calls: after each of
 * hundreds of cases the walk stats every file of the corpus, and a promise per call cost
 * several times the calls themselves.
 */
async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out.set(p, 'dir');
        walk(p);
      } else if (e.isSymbolicLink()) {
        out.set(p, `link to ${readlinkSync(p)}`);
      } else if (!e.isFile()) {
        out.set(p, 'special'); // a FIFO of the corpus: reading it here would block
      } else {
        const s = statSync(p, { bigint: true });
        // the corpus's sparse giants are compared by size and time, the rest by content
        if (s.size > 64n * 1024n * 1024n) {
          out.set(p, `${s.size} bytes at ${s.mtimeNs}`);
          continue;
        }
        // any write moves mtime and ctime (nanoseconds), a replacement changes the inode
        const key = `${p}\0${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
        let hash = hashes.get(key);
        if (hash === undefined) {
          hash = createHash('sha1').update(readFileSync(p)).digest('hex');
          hashes.set(key, hash);
        }
        out.set(p, hash);
      }
    }
  };
  walk(root);
  return out;
}

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

before(async () => {
  delete process.env.CONTRASTIVE_DEBUG;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-bad-input-'));
  const idxDir = path.join(dir, 'valid-idx');
  await writeIdxSet(idxDir, 200, 3);
  const run = await runTraining({ report: false, dataset: `idx:${idxDir}`, hidden: [16], embeddingDim: 4, out: path.join(dir, 'valid-run'), backend: 'wasm', train: { epochs: 1, pairsPerEpoch: 200, batchSize: 40 } });
  run.network.dispose();
  const image = (v: number) => sharp(Buffer.alloc(64, v), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer();
  const signatureBundle = path.join(dir, 'signature-model');
  const demo = await runCli(['signature', 'demo', '--writers', '8', '--genuine', '4', '--forgeries', '2', '--test-writers', '2', '--validation-writers', '2', '--pairs', '200', '--epochs', '1', '--out', signatureBundle, '--json']);
  assert.equal(demo.code, 0, demo.stderr);
  const signature = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'signatures', 'svc2004', 'U1S1.TXT');
  const other = await runTraining({ report: false, dataset: `idx:${idxDir}`, hidden: [16], embeddingDim: 4, out: path.join(dir, 'other-run'), backend: 'wasm', train: { epochs: 1, pairsPerEpoch: 200, batchSize: 40, seed: 9 } });
  other.network.dispose();
  const index = path.join(dir, 'valid.sqlite');
  const built = await runCli(['index', 'build', '--model', run.bundleDir, '--dataset', `idx:${idxDir}`, '--split', 'all', '--out', index]);
  assert.equal(built.code, 0, built.stderr);
  const valid: Valid = { bundle: run.bundleDir, idxDir, imageA: path.join(dir, 'a.png'), imageB: path.join(dir, 'b.png'), signatureBundle, signature, index, otherBundle: other.bundleDir };
  await fs.writeFile(valid.imageA, await image(40));
  await fs.writeFile(valid.imageB, await image(200));
  cases = await buildCorpus(path.join(dir, 'corpus'), valid, 20261130);
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('the bad-input corpus: every case fails with one clear line and changes nothing', async () => {
  assert.ok(cases.length >= 200, `corpus has ${cases.length} cases`);
  const failures: string[] = [];
  let before = await snapshot(dir);
  for (const c of cases) {
    const r = await runCli(c.args);
    const problems: string[] = [];
    const lines = r.stderr.trim().split('\n');
    if (r.code === 0) problems.push('exit code 0');
    if (lines.length !== 1 || !lines[0].startsWith('contrastive: error: ')) problems.push(`stderr is not one error line: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (/\n\s+at /.test(r.stderr) || /unexpected error/.test(r.stderr)) problems.push('stack trace or unexpected error');
    // Nothing from a file name or a value drives the terminal, and no value is echoed whole
    if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(r.stderr)) problems.push(`stderr holds control characters: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (r.stderr.length > 2100) problems.push(`stderr is ${r.stderr.length} characters long`);
    if (r.stdout.trim() !== '') problems.push(`stdout not empty: ${JSON.stringify(r.stdout.slice(0, 200))}`);
    for (const n of c.needles) {
      const ok = typeof n === 'string' ? r.stderr.includes(n) : n.test(r.stderr);
      if (!ok) problems.push(`error does not name ${String(n)}`);
    }
    const after = await snapshot(dir);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
    if (changed.length > 0) problems.push(`files changed: ${changed.map((p) => path.relative(dir, p)).join(', ')}`);
    before = after;
    if (problems.length > 0) failures.push(`${c.id} [${c.args.join(' ')}]\n    ${problems.join('\n    ')}\n    stderr: ${r.stderr.trim()}`);
  }
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
});
