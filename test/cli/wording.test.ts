/**
 * Library errors speak to library callers: an option is named as the caller writes it
 * (`{ threshold }`, `{ faceA: N }`), never as a command-line flag; the CLI turns those
 * names into the running command's flags when it prints the error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, cli, assertOneLineError } from '../support/cli.js';
import { cliWording } from '../../packages/cli/src/cli/program.js';
import { chooseFace } from '../../packages/faces/src/describe.js';
import type { FacesInImage } from '../../packages/faces/src/describe.js';

test('cliWording: option names become the running command\'s flags, with their values; unknown ones stay', () => {
  const flags = new Set(['--threshold', '--face-a', '--resume', '--m-per-class', '--encoder']);
  assert.equal(cliWording('has no threshold; calibrate it or pass { threshold: T }', flags), 'has no threshold; calibrate it or pass --threshold T');
  assert.equal(cliWording('3 faces found, choose one with { faceA: N } (left to right)', flags), '3 faces found, choose one with --face-a N (left to right)');
  assert.equal(cliWording('{ resume: true } was given but x holds no checkpoint', flags), '--resume was given but x holds no checkpoint');
  assert.equal(cliWording("raise { batchSize } or lower { mPerClass }; { encoder: 'cnn' } does not apply", flags), "raise { batchSize } or lower --m-per-class; --encoder cnn does not apply");
  assert.equal(cliWording('a JSON object {"threshold": 1} and { Threshold } stay', flags), 'a JSON object {"threshold": 1} and { Threshold } stay');
});

test('chooseFace words an option name as a caller writes it, any other label as given', () => {
  const found = { source: 'a.jpg', width: 100, height: 80, faces: [0, 1].map((i) => ({ box: { x: 10 * i, y: 0, width: 5, height: 5, score: 0.9 } })) } as unknown as FacesInImage;
  assert.throws(() => chooseFace(found, undefined, 'faceA'), /a\.jpg: 2 faces found, choose one with \{ faceA: N \} \(left to right/);
  assert.throws(() => chooseFace(found, 5, 'faceA'), /a\.jpg: \{ faceA: 5 \} is out of range: 2 faces found/);
  assert.throws(() => chooseFace(found, -1, 'faceA'), /chooseFace: \{ faceA \} must be an integer >= 0, got -1/);
  assert.throws(() => chooseFace(found, undefined, "field 'faceA'"), /choose one with field 'faceA' N/);
});

/** Source files of the library packages (the CLI's own code, cli/ and serve/, may name its flags). */
function librarySources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  return ['contrastive', 'kernels', 'node', 'index', 'faces', 'signatures'].flatMap((p) => walk(path.join(ROOT, 'packages', p, 'src')));
}

test('no library message tells the caller to pass a command-line flag', () => {
  const found: string[] = [];
  for (const file of librarySources()) {
    // no file is exempt: a helper that words a message for its callers (output-dir.ts's checks) words options too
    const rel = path.relative(ROOT, file);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    code.split('\n').forEach((line, i) => {
      // A whole command quoted for the user to run (npm's, a bench's, or `contrastive face calibrate ...`) keeps its flags.
      const prose = line.replace(/\$\{[^}]*\}/g, 'X').replace(/(\b(npm|contrastive) [a-z]|\bbench\/[a-z-]+\.ts\b)[^'"`;)]*/g, '').replace(/--ignore-scripts\b/g, '');
      if (/['"`(\s]--[a-z][a-z0-9-]+/.test(prose)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test('the CLI prints the library\'s option names as its flags', async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'contrastive-wording-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  // the trainer says { resume: true }; `contrastive train` says --resume
  assertOneLineError(cli('train', '--dataset', 'mnist', '--epochs', '1', '--resume', '--out', out), '--resume was given but', 'holds no checkpoint');
});
