/** Output locations are checked before any work. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContrastiveError } from '../../packages/kernels/src/errors.js';
import { prepareOutputDir, prepareOutputFile, refuseExistingOutput, refuseOutputOverInput } from '../../packages/node/src/util/output-dir.js';

const fails = (...needles: string[]) => (e: unknown): boolean => {
  assert.ok(e instanceof ContrastiveError, String(e));
  for (const n of needles) assert.ok(e.message.includes(n), `'${e.message}' names '${n}'`);
  return true;
};

test('prepareOutputDir checks missing levels without creating them, and refuses a path under a regular file', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'outdir-'));
  const deep = path.join(tmp, 'a', 'b', 'run');
  assert.equal(await prepareOutputDir(deep), deep);
  assert.deepEqual(await fs.readdir(tmp), [], 'nothing created, no probe left behind (a failing command leaves no empty folder)');
  await fs.mkdir(path.join(tmp, 'a'));
  await fs.writeFile(path.join(tmp, 'notes.txt'), 'x');
  await assert.rejects(prepareOutputDir(path.join(tmp, 'notes.txt', 'run'), '--out notes.txt/run'), fails('--out notes.txt/run', 'notes.txt is a file'));
  await assert.rejects(prepareOutputDir(path.join(tmp, 'notes.txt')), fails(`{ out: ${path.join(tmp, 'notes.txt')} }: ${path.join(tmp, 'notes.txt')} is a file`));
  await assert.rejects(prepareOutputFile(path.join(tmp, 'a')), fails('is a folder'));
});

test('prepareOutputDir fails at once where nothing can be created (/proc), instead of spinning in mkdir', { skip: !existsSync('/proc/self') && 'no /proc' }, async () => {
  await assert.rejects(prepareOutputDir('/proc/nope/run'), fails('cannot create files in /proc'));
});

test('refuseExistingOutput: an out that holds files needs { resume } or { force }, worded as options', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'outdir-'));
  await refuseExistingOutput(path.join(tmp, 'missing'), 'missing', { fn: 'train' });
  await refuseExistingOutput(tmp, 'empty', { fn: 'train' });
  await fs.writeFile(path.join(tmp, 'metrics.json'), '{}');
  await assert.rejects(refuseExistingOutput(tmp, 'runs/x', { fn: 'train' }), fails('{ out } runs/x already holds files (metrics.json)', '{ resume: true }', '{ force: true }'));
  await refuseExistingOutput(tmp, 'runs/x', { fn: 'train', resume: true });
  await refuseExistingOutput(tmp, 'runs/x', { fn: 'train', force: true });
});

test('refuseExistingOutput with inputs: an output that is, lies inside or holds an input is refused even with { force }', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'outdir-'));
  const bundle = path.join(tmp, 'run', 'model');
  await fs.mkdir(bundle, { recursive: true });
  await fs.writeFile(path.join(bundle, 'model.json'), '{}');
  const image = path.join(tmp, 'x.png');
  await fs.writeFile(image, 'png');
  const inputs = [{ path: bundle, what: 'the bundle' }, { path: image, what: 'image 1' }];
  const o = { fn: 'embed', force: true, inputs, file: true };
  await assert.rejects(refuseExistingOutput(path.join(bundle, 'model.json'), 'B/model.json', o), fails('embed: { out } B/model.json lies inside the bundle', '{ force: true } does not change that'));
  await assert.rejects(refuseExistingOutput(path.join(bundle, 'new', 'deep.npy'), 'B/new/deep.npy', o), fails('lies inside the bundle'));
  await assert.rejects(refuseExistingOutput(image, 'x.png', o), fails('{ out } x.png is image 1'));
  await assert.rejects(refuseExistingOutput(path.join(tmp, '.', 'x.png'), './x.png', o), fails('is image 1'));
  await fs.symlink(image, path.join(tmp, 'link.png'));
  await assert.rejects(refuseExistingOutput(path.join(tmp, 'link.png'), 'link.png', o), fails('is image 1'), 'a symbolic link to the input');
  await fs.symlink(bundle, path.join(tmp, 'bundle-link'));
  await assert.rejects(refuseExistingOutput(path.join(tmp, 'bundle-link', 'e.npy'), 'bundle-link/e.npy', o), fails('lies inside the bundle'), 'through a linked folder');
  await fs.link(image, path.join(tmp, 'hard.png'));
  await assert.rejects(refuseExistingOutput(path.join(tmp, 'hard.png'), 'hard.png', o), fails('is image 1'), 'a hard link to the input');
  // a folder output that holds an input would delete it when replaced
  await assert.rejects(refuseExistingOutput(path.join(tmp, 'run'), 'run', { fn: 'export', force: true, inputs, replaces: true }), fails('{ out } run holds the bundle'));
  // beside the inputs is fine
  await refuseExistingOutput(path.join(tmp, 'e.npy'), 'e.npy', o);
  await refuseExistingOutput(path.join(tmp, 'run2'), 'run2', { fn: 'export', inputs });
});

test('refuseExistingOutput: a file that is not empty needs { force }; a folder replaced whole counts hidden entries', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'outdir-'));
  const f = path.join(tmp, 'e.npy');
  await fs.writeFile(f, '');
  await refuseExistingOutput(f, 'e.npy', { fn: 'embed', file: true });
  await fs.writeFile(f, 'x');
  await assert.rejects(refuseExistingOutput(f, 'e.npy', { fn: 'embed', file: true }), fails('embed: { out } e.npy already exists (1 byte); pass { force: true }'));
  await refuseExistingOutput(f, 'e.npy', { fn: 'embed', file: true, force: true });
  const d = path.join(tmp, 'set');
  await fs.mkdir(d);
  await fs.writeFile(path.join(d, '.git'), 'hidden but precious');
  await refuseExistingOutput(d, 'set', { fn: 'train' }); // train writes its own files into the folder: hidden ones stay
  await assert.rejects(refuseExistingOutput(d, 'set', { fn: 'signature generate', replaces: true }), fails('already holds files (.git) (it is replaced as a whole)', '{ force: true }'));
});

test('no message of these checks names a command-line flag: library callers read options, the CLI prints its flags', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'outdir-'));
  const f = path.join(tmp, 'e.npy');
  await fs.writeFile(f, 'x');
  await fs.writeFile(path.join(tmp, 'metrics.json'), '{}');
  const messages: string[] = [];
  const grab = async (p: Promise<unknown>): Promise<void> => {
    await assert.rejects(p, (e: unknown) => (messages.push((e as Error).message), true));
  };
  await grab(refuseExistingOutput(f, f, { fn: 'embed', file: true }));
  await grab(refuseExistingOutput(tmp, tmp, { fn: 'train' }));
  await grab(refuseExistingOutput(tmp, tmp, { fn: 'export', replaces: true }));
  await grab(refuseExistingOutput(f, f, { fn: 'embed', file: true, force: true, inputs: [{ path: f, what: 'image 1' }] }));
  await grab(refuseOutputOverInput(f, f, [{ path: f, what: 'image 1' }], { fn: 'eval', flag: '{ report }', file: true }));
  await grab(prepareOutputDir(path.join(f, 'run')));
  await grab(prepareOutputFile(tmp));
  assert.equal(messages.length, 7);
  // a caller without the force option is not told about it
  assert.doesNotMatch(messages[4], /force/, messages[4]);
  for (const m of messages) assert.doesNotMatch(m, /(^|[\s('"`])--[a-z]/, m);
});
