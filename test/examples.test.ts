/**
 * Every script in examples/ runs as written and prints what it says. They run in
 * one child process, one after another (each imports 'contrastive', resolved to
 * src/ through tsconfig's paths), so TF.js and MNIST load once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './support/cli.js';

const EXAMPLES = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')).sort();
const MARK = '=== example ';

function runAll(): Map<string, string> {
  const runner = `for (const f of ${JSON.stringify(EXAMPLES)}) { console.log(${JSON.stringify(MARK)} + f); await import('./examples/' + f); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', runner], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `examples failed:\n${r.stdout}\n${r.stderr}`);
  const out = new Map<string, string>();
  for (const part of r.stdout.split(MARK).slice(1)) {
    const nl = part.indexOf('\n');
    out.set(part.slice(0, nl), part.slice(nl + 1));
  }
  return out;
}

/** The validation AUC of each "epoch N: ..." line. */
const aucs = (text: string): number[] => [...text.matchAll(/^epoch \d+: loss [\d.]+, validation AUC ([\d.]+)$/gm)].map((m) => Number(m[1]));

test('every example runs as written and learns', () => {
  assert.deepEqual(EXAMPLES, ['custom-loss.ts', 'custom-miner.ts', 'early-stop-callback.ts', 'onnx-embed.ts', 'pairs-csv.ts']);
  const out = runAll();
  assert.deepEqual([...out.keys()], EXAMPLES);
  for (const name of ['custom-loss.ts', 'custom-miner.ts', 'pairs-csv.ts']) {
    const a = aucs(out.get(name)!);
    assert.ok(a.length >= 2, `${name} printed its epochs:\n${out.get(name)}`);
    assert.ok(a.at(-1)! > 0.75, `${name}: validation AUC ${a.join(', ')}`);
  }
  const early = out.get('early-stop-callback.ts')!;
  const stop = /^stopped after (\d+) of 20 epochs \((\d+) batches\), best epoch (\d+)$/m.exec(early);
  assert.ok(stop, early);
  assert.ok(Number(stop[1]) < 20 && aucs(early).at(-1)! >= 0.9, early);
  assert.equal(Number(stop[2]), Number(stop[1]) * 16);
  const onnx = /max \|onnx - tfjs\| = ([\d.e+-]+)/.exec(out.get('onnx-embed.ts')!);
  assert.ok(onnx && Number(onnx[1]) < 1e-4, out.get('onnx-embed.ts'));
});
