/**
 * A corpus of bad inputs for every CLI entry point that reads files or arguments:
 * absurd option values, damaged IDX files, images, CSVs and bundles, non-finite
 * values. Generated from a seed into a workspace; each case is a command line and
 * what its one error line must name. Every case must fail cleanly (see bad-input.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { Rng } from '../../packages/contrastive/src/util/rng.js';
import { npyBytes } from '../../packages/node/src/export/npy.js';
import { SiameseNetwork, mlpEncoder } from '../../packages/contrastive/src/models/index.js';
import { saveBundle } from '../../packages/node/src/models/bundle.js';

/** One bad invocation: the arguments, and what the error line must contain. */
export interface BadCase {
  id: string;
  args: string[];
  needles: Array<string | RegExp>;
}

/** What the corpus needs that is valid: a trained bundle, a valid IDX set, two valid images. */
export interface Valid {
  bundle: string;
  /** A signature bundle (signature demo --out) and a readable signature file. */
  signatureBundle: string;
  signature: string;
  /** An index built with `bundle` (SQLite file), and a second bundle that did not build it. */
  index: string;
  otherBundle: string;
  idxDir: string;
  imageA: string;
  imageB: string;
}

const SIDE = 8;

function idxImages(count: number, fill: (i: number) => number, header?: { magic?: number; dims?: number[] }): Buffer {
  const dims = header?.dims ?? [count, SIDE, SIDE];
  const values = dims.reduce((a, b) => a * b, 1);
  const b = Buffer.alloc(4 + 4 * dims.length + (header?.dims ? Math.min(values, 64) : values));
  b.writeUInt32BE(header?.magic ?? (0x0800 | dims.length), 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 4 + 4 * dims.length; i < b.length; i++) b[i] = fill(i);
  return b;
}

function idxLabels(count: number, classes = 4): Buffer {
  const b = Buffer.alloc(8 + count);
  b.writeUInt32BE(0x0801, 0);
  b.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) b[8 + i] = i % classes;
  return b;
}

function float32Idx(count: number, poison: number): Buffer {
  const b = Buffer.alloc(16 + count * SIDE * SIDE * 4);
  b.writeUInt32BE(0x0d03, 0);
  b.writeUInt32BE(count, 4);
  b.writeUInt32BE(SIDE, 8);
  b.writeUInt32BE(SIDE, 12);
  for (let i = 0; i < count * SIDE * SIDE; i++) b.writeFloatBE(i === 37 ? poison : (i % 7) / 7, 16 + 4 * i);
  return b;
}

async function pngBytes(seed: number): Promise<Buffer> {
  const rng = new Rng(seed);
  const raw = Buffer.from(Array.from({ length: SIDE * SIDE }, () => rng.int(256)));
  return sharp(raw, { raw: { width: SIDE, height: SIDE, channels: 1 } }).png().toBuffer();
}

async function jpegBytes(seed: number): Promise<Buffer> {
  const rng = new Rng(seed);
  const raw = Buffer.from(Array.from({ length: 32 * 32 * 3 }, () => rng.int(256)));
  return sharp(raw, { raw: { width: 32, height: 32, channels: 3 } }).jpeg().toBuffer();
}

/** Writes the corpus's files under `dir` and returns its cases. */
export async function buildCorpus(dir: string, valid: Valid, seed: number): Promise<BadCase[]> {
  const rng = new Rng(seed);
  const cases: BadCase[] = [];
  const out = path.join(dir, 'never-written');
  const add = (id: string, args: string[], ...needles: Array<string | RegExp>) => cases.push({ id, args, needles });
  const file = async (rel: string, data: Buffer | string) => {
    const p = path.join(dir, rel);
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, data);
    return p;
  };
  const train = (...extra: string[]) => ['train', '--dataset', `idx:${valid.idxDir}`, '--epochs', '1', '--out', out, ...extra];

  // --- absurd option values, named in the error
  const positiveInts = ['--epochs', '--batch-size', '--embedding-dim', '--dense', '--m-per-class', '--pairs-per-epoch'];
  for (const opt of positiveInts) for (const v of ['0', '-1', 'abc', '2.5', 'NaN', 'Infinity', '1e999', '']) add(`train ${opt} '${v}'`, train(opt, v), opt);
  for (const opt of ['--patience', '--augment-shift', '--seed']) for (const v of ['-1', 'abc', '2.5', 'NaN', 'Infinity']) add(`train ${opt} '${v}'`, train(opt, v), opt);
  for (const opt of ['--lr', '--margin']) for (const v of ['0', '-1', 'abc', 'NaN', 'Infinity', '1e999']) add(`train ${opt} '${v}'`, train(opt, v), opt);
  for (const v of ['-0.1', '1', '1.5', 'abc', 'NaN']) add(`train --dropout '${v}'`, train('--dropout', v), '--dropout');
  for (const v of ['0', '2', '4', 'abc']) add(`train --channels '${v}'`, train('--channels', v), '--channels');
  for (const opt of ['--encoder', '--distance', '--miner', '--optimizer', '--lr-schedule', '--monitor', '--backend', '--loss']) add(`train ${opt} bogus`, train(opt, 'bogus'), opt);
  for (const opt of ['--hidden', '--filters']) for (const v of ['0,5', 'a,b', '', '-3']) add(`train ${opt} '${v}'`, train(opt, v), opt);
  for (const v of ['x', '-1', '1,,2']) add(`train --holdout-classes '${v}'`, train('--holdout-classes', v), '--holdout-classes');
  for (const v of ['0x5', 'abc', '64', '-1x-1', '64x']) add(`train --image-size '${v}'`, train('--image-size', v), '--image-size');
  for (const v of ['x', '1,1', '2,3', '-0.2']) add(`train --validation-classes '${v}'`, train('--holdout-classes', '2,3', '--validation-classes', v), /validation.classes/);
  add('train --validation-classes without --holdout-classes', train('--validation-classes', '0,1'), '--validation-classes');
  for (const v of ['1', '0', 'x', '2.5']) add(`train --validation-folds '${v}'`, train('--holdout-classes', '2,3', '--validation-folds', v), '--validation-folds');
  add('train --validation-folds without --holdout-classes', train('--validation-folds', '2'), '--validation-folds');
  for (const v of ['-0.1', 'abc', 'NaN']) add(`train --pos-margin '${v}'`, train('--pos-margin', v), '--pos-margin');
  for (const v of ['-1', 'abc', '2.5']) add(`train --memory-size '${v}'`, train('--memory-size', v, '--miner', 'semi-hard'), '--memory-size');
  for (const v of ['-0.1', '1.5', 'x']) add(`train --augment-erase '${v}'`, train('--augment-erase', v), '--augment-erase');
  for (const v of ['-1', '200', '10,1', '10,0.1,90', '1,2,3,4', 'x', '10,,5']) add(`train --augment-affine '${v}'`, train('--augment-affine', v), '--augment-affine');
  add('train --preset bogus', train('--preset', 'bogus'), '--preset');
  add('train --loss cross-entropy --miner semi-hard', train('--loss', 'cross-entropy', '--miner', 'semi-hard'), '--miner');
  add('train unknown option', train('--sample-weights', '1'), '--sample-weights');
  for (const v of ['-1', 'abc', 'NaN', 'Infinity']) add(`verify --threshold '${v}'`, ['verify', '--model', valid.bundle, '--threshold', v, valid.imageA, valid.imageB], /threshold/);
  for (const cmd of ['eval', 'calibrate']) {
    const base = [cmd, '--model', valid.bundle, '--dataset', `idx:${valid.idxDir}`];
    for (const v of ['0', '-5', 'abc']) add(`${cmd} --pairs '${v}'`, [...base, '--pairs', v], '--pairs');
    for (const v of ['-1', 'x']) add(`${cmd} --seed '${v}'`, [...base, '--seed', v], '--seed');
    for (const opt of ['--validation-fraction', '--test-fraction']) for (const v of ['0', '1', '1.5', '-0.1', 'x']) add(`${cmd} ${opt} '${v}'`, [...base, opt, v], opt);
    add(`${cmd} --split bogus`, [...base, '--split', 'bogus'], '--split');
  }
  for (const v of ['far=0', 'far=2', 'far=x', 'bogus', 'far=']) add(`calibrate --target '${v}'`, ['calibrate', '--model', valid.bundle, '--dataset', `idx:${valid.idxDir}`, '--target', v], '--target');
  for (const v of ['0,1', '-1', 'a', '', '1,,2']) add(`margin --margins '${v}'`, ['margin', '--dataset', `idx:${valid.idxDir}`, '--margins', v, '--out', out], '--margins');
  for (const v of ['bogus', 'contrastive,bogus', '']) add(`compare --losses '${v}'`, ['compare', '--dataset', `idx:${valid.idxDir}`, '--losses', v, '--out', out], '--losses');

  // --- IDX datasets: each damaged file is named
  const good = await fs.readFile(path.join(valid.idxDir, 'train-images-idx3-ubyte'));
  const labels = await fs.readFile(path.join(valid.idxDir, 'train-labels-idx1-ubyte'));
  const count = labels.readUInt32BE(4);
  const idxVariants: Array<[string, Buffer | 'dir' | 'missing', Buffer?]> = [
    ['zero-byte', Buffer.alloc(0)],
    ['wrong magic', Buffer.concat([Buffer.from([0x12, 0x34]), good.subarray(2)])],
    ['truncated header', good.subarray(0, 3)],
    ['truncated dims', good.subarray(0, 10)],
    ['truncated payload', good.subarray(0, good.length - 1 - rng.int(50))],
    ['trailing bytes', Buffer.concat([good, Buffer.alloc(5)])],
    ['huge declared dims', idxImages(0, () => 0, { dims: [4_000_000_000, 4096, 4096] })],
    ['unsupported type code', Buffer.concat([Buffer.from([0, 0, 0x07, 3]), good.subarray(4)])],
    ['zero dimensions', Buffer.from([0, 0, 0x08, 0])],
    ['label count mismatch', good, idxLabels(count - 3)],
    ['label file wrong magic', good, Buffer.concat([Buffer.from([9, 9]), labels.subarray(2)])],
    ['images file is a directory', 'dir'],
    ['images file missing', 'missing'],
    ['NaN pixel', float32Idx(count, Number.NaN)],
    ['Infinity pixel', float32Idx(count, Number.POSITIVE_INFINITY)],
  ];
  let k = 0;
  for (const [what, images, lab] of idxVariants) {
    const d = path.join(dir, `idx-${k++}`);
    await fs.mkdir(d, { recursive: true });
    const imgPath = path.join(d, 'train-images-idx3-ubyte');
    if (images === 'dir') await fs.mkdir(imgPath);
    else if (images !== 'missing') await fs.writeFile(imgPath, images);
    const labPath = path.join(d, 'train-labels-idx1-ubyte');
    await fs.writeFile(labPath, lab ?? labels);
    const named = lab && images === good ? labPath : images === 'missing' || images === 'dir' ? d : imgPath;
    add(`train idx: ${what}`, ['train', '--dataset', `idx:${d}`, '--epochs', '1', '--out', out], named);
    add(`eval idx: ${what}`, ['eval', '--model', valid.bundle, '--dataset', `idx:${d}`], named);
  }
  const gzDir = path.join(dir, 'idx-gz');
  await file('idx-gz/train-images-idx3-ubyte.gz', Buffer.concat([gzipSync(good).subarray(0, 40), Buffer.from('garbage')]));
  await file('idx-gz/train-labels-idx1-ubyte.gz', gzipSync(labels));
  add('train idx: corrupt gzip', ['train', '--dataset', `idx:${gzDir}`, '--epochs', '1', '--out', out], 'train-images-idx3-ubyte.gz');
  add('train idx: not a directory', ['train', '--dataset', `idx:${valid.imageA}`, '--epochs', '1', '--out', out], valid.imageA);
  add('train idx: no such directory', ['train', '--dataset', `idx:${path.join(dir, 'nope')}`, '--epochs', '1', '--out', out], 'nope');

  // --- images given to verify, in either position
  const png = await pngBytes(seed);
  const jpg = await jpegBytes(seed);
  const ihdrBroken = Buffer.from(png);
  ihdrBroken.fill(0xff, 16, 24); // width and height in IHDR
  const imageVariants: Array<[string, Buffer | 'dir' | 'missing', string]> = [
    ['zero-byte png', Buffer.alloc(0), 'png'],
    ['png cut after signature', png.subarray(0, 8), 'png'],
    ['png cut in IHDR', png.subarray(0, 20), 'png'],
    ['png cut in data', png.subarray(0, Math.floor(png.length / 2)), 'png'],
    ['png with broken IHDR', ihdrBroken, 'png'],
    ['jpeg cut after SOI', jpg.subarray(0, 4), 'jpg'],
    ['jpeg cut in header', jpg.subarray(0, 100), 'jpg'],
    ['text named .png', Buffer.from('this is not an image\n'), 'png'],
    ['directory named .png', 'dir', 'png'],
    ['missing file', 'missing', 'png'],
  ];
  k = 0;
  for (const [what, bytes, ext] of imageVariants) {
    const p = path.join(dir, 'images', `bad-${k++}.${ext}`);
    await fs.mkdir(path.dirname(p), { recursive: true });
    if (bytes === 'dir') await fs.mkdir(p);
    else if (bytes !== 'missing') await fs.writeFile(p, bytes);
    add(`verify A: ${what}`, ['verify', '--model', valid.bundle, p, valid.imageB], path.basename(p));
    add(`verify B: ${what}`, ['verify', '--model', valid.bundle, valid.imageA, p], path.basename(p));
  }
  add('verify: dataset row out of range', ['verify', '--model', valid.bundle, 'mnist:test:99999999', valid.imageB], '99999999');

  // --- folder: datasets
  const oneClass = path.join(dir, 'folder-one-class');
  await file('folder-one-class/a/1.png', png);
  await file('folder-one-class/a/2.png', png);
  add('train folder: one class', ['train', '--dataset', `folder:${oneClass}`, '--image-size', '8x8', '--epochs', '1', '--out', out], /class/);
  const emptyFolder = path.join(dir, 'folder-empty');
  await fs.mkdir(emptyFolder, { recursive: true });
  add('train folder: empty', ['train', '--dataset', `folder:${emptyFolder}`, '--image-size', '8x8', '--epochs', '1', '--out', out], 'folder-empty');
  const corrupt = path.join(dir, 'folder-corrupt');
  for (const c of ['a', 'b']) for (let i = 0; i < 3; i++) await file(`folder-corrupt/${c}/${i}.png`, png);
  await file('folder-corrupt/b/broken.png', png.subarray(0, 30));
  add('train folder: a corrupt image', ['train', '--dataset', `folder:${corrupt}`, '--image-size', '8x8', '--epochs', '1', '--out', out], 'broken.png');
  add('train folder: no such folder', ['train', '--dataset', `folder:${path.join(dir, 'nofolder')}`, '--epochs', '1', '--out', out], 'nofolder');
  add('train folder: a file', ['train', '--dataset', `folder:${valid.imageA}`, '--epochs', '1', '--out', out], valid.imageA);

  // --- pairs CSV: the file and, for a bad row, its line
  await file('csv/a.png', png);
  await file('csv/b.png', await pngBytes(seed + 1));
  const csvVariants: Array<[string, string, RegExp | string]> = [
    ['label 2', 'a.png,b.png,1\na.png,b.png,2\n', /line 2/],
    ['label -1', 'a.png,b.png,-1\n', /line 1/],
    ['label 0.5', 'a.png,b.png,0\na.png,b.png,0.5\n', /line 2/],
    ['label x', 'path_a,path_b,label\na.png,b.png,0\na.png,b.png,x\n', /line 3/],
    ['empty label', 'a.png,b.png,\n', /line 1/],
    ['two columns', 'a.png,b.png,0\na.png,1\n', /line 2/],
    ['four columns', 'a.png,b.png,0,extra\n', /line 1/],
    ['missing image', 'a.png,b.png,0\na.png,missing.png,1\n', 'missing.png'],
    ['BOM and a bad label', '\ufeffa.png,b.png,0\na.png,b.png,7\n', /line 2/],
    ['CRLF and a bad label', 'a.png,b.png,0\r\na.png,b.png,1\r\na.png,b.png,9\r\n', /line 3/],
    ['empty', '', 'no pairs'],
    ['header only', 'path_a,path_b,label\n', 'no pairs'],
  ];
  k = 0;
  for (const [what, text, needle] of csvVariants) {
    const p = await file(`csv/pairs-${k++}.csv`, text);
    add(`train pairs: ${what}`, ['train', '--dataset', `pairs:${p}`, '--image-size', '8x8', '--epochs', '1', '--out', out], path.basename(p), needle);
  }
  await fs.mkdir(path.join(dir, 'csv', 'dir.csv'), { recursive: true });
  add('train pairs: csv is a directory', ['train', '--dataset', `pairs:${path.join(dir, 'csv', 'dir.csv')}`, '--epochs', '1', '--out', out], 'dir.csv');
  add('train pairs: no such csv', ['train', '--dataset', `pairs:${path.join(dir, 'csv', 'none.csv')}`, '--epochs', '1', '--out', out], 'none.csv');

  // --- damaged bundles, for every command that reads one
  const modelJson = await fs.readFile(path.join(valid.bundle, 'model.json'), 'utf8');
  const weights = await fs.readFile(path.join(valid.bundle, 'weights.bin'));
  const manifest = JSON.parse(await fs.readFile(path.join(valid.bundle, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const bundleVariants: Array<[string, Record<string, Buffer | string | null>, string]> = [
    ['model.json truncated', { 'model.json': modelJson.slice(0, Math.floor(modelJson.length / 2)) }, 'model.json'],
    ['model.json not JSON', { 'model.json': 'not json' }, 'model.json'],
    ['model.json without topology', { 'model.json': '{}' }, 'model.json'],
    ['weights.bin missing', { 'weights.bin': null }, 'weights.bin'],
    ['weights.bin short', { 'weights.bin': weights.subarray(0, weights.length - 8) }, 'weights.bin'],
    ['weights.bin empty', { 'weights.bin': Buffer.alloc(0) }, 'weights.bin'],
    ['manifest.json missing', { 'manifest.json': null }, 'manifest.json'],
    ['manifest.json not JSON', { 'manifest.json': '{"format": ' }, 'manifest.json'],
    ['manifest from the future', { 'manifest.json': JSON.stringify({ ...manifest, formatVersion: 999 }) }, 'manifest.json'],
    ['manifest of another format', { 'manifest.json': JSON.stringify({ ...manifest, format: 'something-else' }) }, 'manifest.json'],
    ['manifest with a string threshold', { 'manifest.json': JSON.stringify({ ...manifest, threshold: 'high' }) }, 'manifest.json'],
    ['manifest with a negative embedding size', { 'manifest.json': JSON.stringify({ ...manifest, embedding: { ...(manifest.embedding as object), dim: -4 } }) }, 'manifest.json'],
  ];
  k = 0;
  const bundleCommands = (b: string): Array<[string, string[]]> => [
    ['verify', ['verify', '--model', b, valid.imageA, valid.imageB]],
    ['eval', ['eval', '--model', b, '--dataset', `idx:${valid.idxDir}`]],
    ['calibrate', ['calibrate', '--model', b, '--dataset', `idx:${valid.idxDir}`]],
  ];
  for (const [what, changes, needle] of bundleVariants) {
    const b = path.join(dir, `bundle-${k++}`);
    await fs.cp(valid.bundle, b, { recursive: true });
    for (const [name, content] of Object.entries(changes)) {
      if (content === null) await fs.rm(path.join(b, name));
      else await fs.writeFile(path.join(b, name), content);
    }
    for (const [cmd, args] of bundleCommands(b)) add(`${cmd} bundle: ${what}`, args, needle);
  }
  for (const [cmd, args] of bundleCommands(path.join(dir, 'no-bundle'))) add(`${cmd} bundle: no such directory`, args, 'no-bundle');
  for (const [cmd, args] of bundleCommands(valid.imageA)) add(`${cmd} bundle: a file`, args, path.basename(valid.imageA));
  // --- signatures: every bad file of the fixtures, as reference and as questioned signature
  const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'signatures', 'bad');
  for (const name of (await fs.readdir(fixtures)).sort()) {
    const bad = path.join(fixtures, name);
    add(`signature verify questioned: ${name}`, ['signature', 'verify', '--model', valid.signatureBundle, valid.signature, bad], name);
    add(`signature verify reference: ${name}`, ['signature', 'verify', '--model', valid.signatureBundle, bad, valid.signature], name);
  }
  add('signature verify: one file only', ['signature', 'verify', '--model', valid.signatureBundle, valid.signature], /QUESTIONED|reference/i);
  add('signature verify: missing file', ['signature', 'verify', '--model', valid.signatureBundle, valid.signature, path.join(dir, 'nosig.txt')], 'nosig.txt');
  add('signature verify: an image bundle', ['signature', 'verify', '--model', valid.bundle, valid.signature, valid.signature], /signature|sequence/i);
  for (const [opt, values] of [['--writers', ['0', '-1', 'abc']], ['--genuine', ['0', 'x']], ['--forgeries', ['-1', 'x']], ['--test-writers', ['0']], ['--length', ['0', '-5']], ['--pairs', ['0', 'NaN']], ['--epochs', ['0', '2.5']]] as const) {
    for (const v of values) add(`signature demo ${opt} '${v}'`, ['signature', 'demo', opt, v, '--out', out], opt);
  }
  add('signature demo: more test writers than writers', ['signature', 'demo', '--test-writers', '1000', '--out', out], /1000 test .*writers/);
  // --- embedding indexes: damaged or foreign files, the wrong bundle, absurd options, an unreachable server
  const indexBytes = await fs.readFile(valid.index);
  const indexVariants: Array<[string, Buffer | 'dir' | 'missing']> = [
    ['zero-byte', Buffer.alloc(0)],
    ['a text file', Buffer.from('id,label\n1,2\n')],
    ['truncated', indexBytes.subarray(0, Math.floor(indexBytes.length / 3))],
    ['sqlite header, garbage after', Buffer.concat([indexBytes.subarray(0, 100), Buffer.alloc(4096, 0xaa)])],
    ['a directory', 'dir'],
    ['missing', 'missing'],
  ];
  k = 0;
  for (const [what, bytes] of indexVariants) {
    const p = path.join(dir, 'indexes', `bad-${k++}.sqlite`);
    await fs.mkdir(path.dirname(p), { recursive: true });
    if (bytes === 'dir') await fs.mkdir(p);
    else if (bytes !== 'missing') await fs.writeFile(p, bytes);
    add(`index search: ${what}`, ['index', 'search', '--index', p, '--model', valid.bundle, valid.imageA], path.basename(p));
    add(`index stats: ${what}`, ['index', 'stats', '--index', p], path.basename(p));
    add(`index add: ${what}`, ['index', 'add', '--index', p, '--model', valid.bundle, valid.imageA], path.basename(p));
  }
  const foreign = await file('indexes/foreign.sqlite', '');
  {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(foreign);
    db.exec('CREATE TABLE people (name TEXT); INSERT INTO people VALUES (\'x\');');
    db.close();
  }
  add('index search: a SQLite database of something else', ['index', 'search', '--index', foreign, '--model', valid.bundle, valid.imageA], 'foreign.sqlite');
  add('index search: another bundle', ['index', 'search', '--index', valid.index, '--model', valid.otherBundle, valid.imageA], /bundle|model/i);
  add('index add: another bundle', ['index', 'add', '--index', valid.index, '--model', valid.otherBundle, valid.imageA], /bundle|model/i);
  for (const v of ['0', '-1', 'abc', '2.5']) add(`index search -k '${v}'`, ['index', 'search', '--index', valid.index, '--model', valid.bundle, '-k', v, valid.imageA], /-k|--k/);
  add('index search --mode bogus', ['index', 'search', '--index', valid.index, '--model', valid.bundle, '--mode', 'bogus', valid.imageA], '--mode');
  add('index search: undecodable query image', ['index', 'search', '--index', valid.index, '--model', valid.bundle, path.join(dir, 'images', 'bad-3.png')], 'bad-3.png');
  add('index remove: unknown id', ['index', 'remove', '--index', valid.index, 'no-such-id'], 'no-such-id');
  add('index build: damaged dataset', ['index', 'build', '--model', valid.bundle, '--dataset', `idx:${path.join(dir, 'idx-4')}`, '--split', 'all', '--out', path.join(out, 'i.sqlite')], 'train-images-idx3-ubyte');
  add('index build: --batch-size 0', ['index', 'build', '--model', valid.bundle, '--dataset', `idx:${valid.idxDir}`, '--batch-size', '0', '--out', path.join(out, 'i.sqlite')], '--batch-size');
  add('index search: unreachable PostgreSQL', ['index', 'search', '--index', 'postgres://nobody@127.0.0.1:1/none', '--model', valid.bundle, '--connect-timeout', '2000', valid.imageA], /127\.0\.0\.1|PostgreSQL|connect/i);
  // query by vector (the valid index holds dim 4): bad numbers, wrong sizes, damaged vector files, mixed or missing queries
  const search = (...a: string[]) => ['index', 'search', '--index', valid.index, ...a];
  for (const v of ['abc', '1,,2,3', '1,2,3,NaN', 'Infinity,0,0,0', '', '0x,1,2,3']) add(`index search --vector '${v}'`, search('--vector', v), '--vector');
  add('index search --vector: 3 values for dim 4', search('--vector', '0.5,0.5,0.5'), /3 values.*dim 4/);
  add('index search --vector: 5 values for dim 4', search('--vector', '1,0,0,0', '--vector', '1,0,0,0,0'), /--vector 2.*5 values.*dim 4/);
  add('index search --vector: beyond float32', search('--vector', '1e39,0,0,0'), /float32/);
  add('index search --vector with another bundle', search('--vector', '1,0,0,0', '--model', valid.otherBundle), /bundle|model/i);
  add('index search --vector and an image', search('--vector', '1,0,0,0', '--model', valid.bundle, valid.imageA), /not both/);
  add('index search: no query', search('--model', valid.bundle), /give a query/);
  add('index search: an image without --model', search(valid.imageA), '--model');
  add('index search --vector with --data-dir', search('--vector', '1,0,0,0', '--data-dir', dir), '--data-dir');
  const npy = (data: number[], shape: number[]) => Buffer.from(npyBytes(Float32Array.from(data), shape));
  const f8 = Buffer.from(npyBytes(Float32Array.from([0, 0]), [2]));
  f8.write("'<f8'", f8.indexOf("'<f4'"), 'latin1'); // a float64 header over float32 data: the size no longer fits
  const vectorFiles: Array<[string, string, Buffer | string, string | RegExp]> = [
    ['missing', 'none.npy', '', 'none.npy'],
    ['zero-byte .npy', 'zero.npy', Buffer.alloc(0), 'zero.npy'],
    ['not a .npy', 'text.npy', 'hello, world', 'text.npy'],
    ['truncated .npy', 'cut.npy', npy([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]).subarray(0, 90), 'cut.npy'],
    ['.npy of 3 dims', 'cube.npy', npy([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), /cube\.npy.*shape/],
    ['.npy of 0 rows', 'empty.npy', npy([], [0, 4]), /empty\.npy.*no embeddings/],
    ['.npy dtype and size disagree', 'f8.npy', f8, 'f8.npy'],
    ['.npy of 3 columns for dim 4', 'narrow.npy', npy([1, 2, 3], [1, 3]), /3 values.*dim 4/],
    ['.npy with NaN', 'nan.npy', npy([1, 2, NaN, 4], [4]), /nan\.npy row 0.*column 2/],
    ['JSON lines: a broken line', 'broken.jsonl', '[1,2,3,4]\n[1,2,\n', /broken\.jsonl line 2/],
    ['JSON lines: rows of different sizes', 'ragged.jsonl', '[1,2,3,4]\n[1,2,3]\n', /ragged\.jsonl line 2.*3 values/],
    ['JSON lines: strings', 'words.jsonl', '["a","b","c","d"]\n', /words\.jsonl.*"a"/],
    ['JSON lines: no embedding field', 'objects.jsonl', '{"vector":[1,2,3,4]}\n', /objects\.jsonl.*embedding/],
    ['JSON: overflow to Infinity', 'huge.json', '[[1,2,3,1e999]]', /huge\.json row 0.*non-finite/],
    ['an unknown extension', 'vectors.txt', '1,2,3,4', /vectors\.txt.*\.npy/],
  ];
  for (const [what, name, bytes, needle] of vectorFiles) {
    const p = what === 'missing' ? path.join(dir, 'vectors', name) : await file(`vectors/${name}`, bytes);
    add(`index search --vector-file: ${what}`, search('--vector-file', p), needle);
  }

  // --- faces: no face, not an image, too small, missing, a directory
  const grey = await file('faces/grey.png', await sharp({ create: { width: 160, height: 160, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer());
  const faceBad: Array<[string, string]> = [
    ['no face', grey],
    ['not an image', await file('faces/notes.jpg', 'hello')],
    ['too small', await file('faces/tiny.png', png)],
    ['missing', path.join(dir, 'faces', 'nobody.jpg')],
  ];
  for (const [what, p] of faceBad) {
    add(`face verify A: ${what}`, ['face', 'verify', p, grey], path.basename(p));
    add(`face identify: ${what}`, ['face', 'identify', '--index', path.join(dir, 'faces', 'faces.sqlite'), p], /faces\.sqlite|nobody|notes|tiny|grey/);
  }
  add('face enroll: no images', ['face', 'enroll', '--index', path.join(out, 'f.sqlite'), '--name', 'x'], /image|argument/i);
  // photos without a face: every one named, the way out (--skip-no-face) given, nothing enrolled or trained
  add('face enroll: a photo without a face', ['face', 'enroll', '--index', path.join(out, 'f.sqlite'), '--name', 'x', grey], 'grey.png', '1 of 1 photo holds no face', '--skip-no-face');
  const facesDir = path.join(dir, 'faces-set');
  for (const person of ['ann', 'bob']) await file(`faces-set/${person}/blank.png`, await fs.readFile(grey));
  add('train faces:DIR: photos without a face', ['train', '--dataset', `faces:${facesDir}`, '--epochs', '1', '--out', out], '2 of 2 photos hold no face', 'blank.png', '--skip-no-face');
  add('train --skip-no-face on another dataset', train('--skip-no-face'), '--skip-no-face applies to --dataset faces:DIR');
  add('face calibrate --dataset not faces:', ['face', 'calibrate', '--dataset', `idx:${valid.idxDir}`], 'faces:DIR');

  // --- a face bundle given to the commands that cannot feed it points to the face commands
  const faceBundle = path.join(dir, 'face-bundle');
  const head = new SiameseNetwork(mlpEncoder({ inputShape: [128], hidden: [8], embeddingDim: 4, seed: 1 }));
  await saveBundle(faceBundle, head, { threshold: 0.5, training: { dataset: 'faces:/people', epochs: 1, seed: 1, facePipeline: { detector: 'ssd', minConfidence: 0.5, tinyInputSize: 416, maxSide: 1920 } } });
  head.dispose();
  add('eval with a face bundle', ['eval', '--model', faceBundle], 'is a face bundle', `face verify --model ${faceBundle}`, 'face calibrate');
  add('verify with a face bundle', ['verify', '--model', faceBundle, valid.imageA, valid.imageB], 'is a face bundle', 'face verify');
  add('embed with a face bundle', ['embed', '--model', faceBundle, '--out', path.join(out, 'e.npy'), valid.imageA], 'is a face bundle', 'face verify');

  // --- a scan given to an online-signature model; a label the index does not hold; a folder too small for the split
  const scan = await file('signatures-scan/scan.png', await pngBytes(3));
  add('signature verify: a PNG for an online-signature model', ['signature', 'verify', '--model', valid.signatureBundle, valid.signature, scan], 'scan.png: a PNG image, not an online signature');
  add('index search --label the index does not hold', ['index', 'search', '--index', valid.index, '--vector', '0,0,0,1', '--label', 'nosuch'], "has the label 'nosuch'", 'its labels: ');
  for (const c of ['cat', 'dog']) for (let i = 0; i < 3; i++) await file(`small-folder/${c}/${i}.png`, await pngBytes(10 + i));
  add('train folder: 3 images per class', ['train', '--dataset', `folder:${path.join(dir, 'small-folder')}`, '--epochs', '1', '--out', out], 'too small for its validation split', "'cat' (3 examples, 0 in validation)");
  add('face verify --face-a -1', ['face', 'verify', '--face-a', '-1', grey, grey], '--face-a');
  add('train signatures: no such folder', ['train', '--dataset', `signatures:${path.join(dir, 'nosigs')}`, '--encoder', 'sequence', '--epochs', '1', '--out', out], 'nosigs');
  await issue23Cases(dir, valid, add, file);
  return cases;
}

type Add = (id: string, args: string[], ...needles: Array<string | RegExp>) => void;

/** A FIFO at `p` (a reader that opens it for reading blocks until a writer comes: for good). */
function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}

/**
 * Nothing already there is destroyed, no read without bounds, no silent
 * wrong results. Each case stands for a class: an output over what is there or over
 * an input; a FIFO, a device or an oversized file where a file is read; a damaged
 * model or index; control characters and huge values echoed to the terminal.
 */
async function issue23Cases(dir: string, valid: Valid, add: Add, file: (rel: string, data: Buffer | string) => Promise<string>): Promise<void> {
  const out = path.join(dir, 'never-written');
  const posix = process.platform !== 'win32';

  // --- nothing already there is destroyed: an --out that holds something needs --force ...
  const notes = path.join(dir, 'user-folder');
  await file('user-folder/notes.txt', 'my notes\n');
  add('signature generate: --out holds a file', ['signature', 'generate', '--out', notes, '--writers', '2'], 'already holds files', 'notes.txt', '--force');
  add('signature demo: --out holds a file', ['signature', 'demo', '--writers', '8', '--test-writers', '2', '--validation-writers', '2', '--epochs', '1', '--out', notes], 'already holds files', 'notes.txt');
  const hiddenOnly = path.join(dir, 'hidden-only');
  await file('hidden-only/.keep', 'a hidden file is a file too when the folder is replaced whole');
  add('signature generate: --out holds a hidden file', ['signature', 'generate', '--out', hiddenOnly, '--writers', '2'], 'already holds files', '.keep');
  add('index build: --out is an index with items', ['index', 'build', '--model', valid.bundle, '--dataset', `idx:${valid.idxDir}`, '--split', 'all', '--out', valid.index], /already holds an index of \d+ items/, '--force');
  add('embed: --out is a file already there', ['embed', '--model', valid.bundle, '--format', 'npy', '--out', valid.imageB, valid.imageA], 'already exists', '--force');
  // ... and one that is, lies inside or holds an input is refused even with --force
  add('embed: --out inside the bundle it reads', ['embed', '--model', valid.bundle, '--out', path.join(valid.bundle, 'model.json'), '--dataset', `idx:${valid.idxDir}`], 'lies inside the bundle', '--force does not');
  add('embed: --out inside the bundle, --force', ['embed', '--model', valid.bundle, '--out', path.join(valid.bundle, 'model.json'), '--force', valid.imageA], 'lies inside the bundle');
  add('embed: --out is its own input image', ['embed', '--model', valid.bundle, '--format', 'jsonl', '--out', valid.imageA, '--force', valid.imageA], 'is image 1');
  if (posix) {
    const link = path.join(dir, 'link-to-a.png');
    await fs.symlink(valid.imageA, link);
    add('embed: --out is a symbolic link to its input', ['embed', '--model', valid.bundle, '--format', 'jsonl', '--out', link, '--force', valid.imageA], 'is image 1');
  }
  add('embed: --out inside the dataset', ['embed', '--model', valid.bundle, '--out', path.join(valid.idxDir, 'e.npy'), '--force', '--dataset', `idx:${valid.idxDir}`], 'lies inside the dataset');
  add('index build: --out inside the bundle', ['index', 'build', '--model', valid.bundle, '--dataset', `idx:${valid.idxDir}`, '--split', 'all', '--force', '--out', path.join(valid.bundle, 'i.sqlite')], 'lies inside the bundle');
  add('export: --out holds the bundle, --force', ['export', '--model', valid.bundle, '--out', path.dirname(valid.bundle), '--force'], 'holds the bundle');
  add('train: --out holds the dataset, --force', ['train', '--dataset', `idx:${valid.idxDir}`, '--epochs', '1', '--force', '--out', path.dirname(valid.idxDir)], 'holds the dataset');
  add('eval: --report inside the bundle', ['eval', '--model', valid.bundle, '--dataset', `idx:${valid.idxDir}`, '--report', path.join(valid.bundle, 'model.json')], '--report', 'lies inside the bundle');
  add('train: --report is a file already there', ['train', '--dataset', `idx:${valid.idxDir}`, '--epochs', '1', '--out', out, '--report', valid.imageB], '--report', 'already exists', '--force');
  add('train: --report over the dataset', ['train', '--dataset', `idx:${valid.idxDir}`, '--epochs', '1', '--out', out, '--report', path.join(valid.idxDir, 'train-images-idx3-ubyte')], '--report', 'lies inside the dataset');

  // --- no read without bounds: FIFOs and devices are refused at once, oversized files before they are read
  if (posix) {
    const fifo = (rel: string): string => {
      const p = path.join(dir, rel);
      mkfifo(p);
      return p;
    };
    await fs.mkdir(path.join(dir, 'special'), { recursive: true });
    const fifoPng = fifo('special/fifo.png');
    const zeroPng = path.join(dir, 'special', 'zero.png');
    await fs.symlink('/dev/zero', zeroPng);
    for (const [what, p, needle] of [['a FIFO', fifoPng, 'FIFO'], ['a link to /dev/zero', zeroPng, 'character device']] as const) {
      add(`verify A: ${what}`, ['verify', '--model', valid.bundle, p, valid.imageB], path.basename(p), needle);
      add(`verify B: ${what}`, ['verify', '--model', valid.bundle, valid.imageA, p], path.basename(p), needle);
      add(`embed: ${what}`, ['embed', '--model', valid.bundle, '--out', path.join(out, 'e.npy'), p], path.basename(p), needle);
      add(`index add: ${what}`, ['index', 'add', '--index', valid.index, '--model', valid.bundle, p], path.basename(p), needle);
      add(`index search: ${what}`, ['index', 'search', '--index', valid.index, '--model', valid.bundle, p], path.basename(p), needle);
      add(`face verify: ${what}`, ['face', 'verify', p, valid.imageA], path.basename(p), needle);
    }
    const csvDir = path.join(dir, 'csv-special');
    await fs.mkdir(csvDir, { recursive: true });
    await fs.copyFile(valid.imageA, path.join(csvDir, 'a.png'));
    await fs.symlink(fifoPng, path.join(csvDir, 'f.png'));
    const csvWithFifo = await file('csv-special/pairs.csv', 'a.png,a.png,0\na.png,f.png,1\n');
    add('train pairs: an image is a FIFO', ['train', '--dataset', `pairs:${csvWithFifo}`, '--image-size', '8x8', '--epochs', '1', '--out', out], 'pairs.csv line 2', 'FIFO');
    const csvFifo = fifo('special/pairs.csv');
    add('train pairs: the CSV is a FIFO', ['train', '--dataset', `pairs:${csvFifo}`, '--image-size', '8x8', '--epochs', '1', '--out', out], 'pairs.csv', 'FIFO');
    const sigFifo = fifo('special/signature.txt');
    add('signature verify: a FIFO', ['signature', 'verify', '--model', valid.signatureBundle, valid.signature, sigFifo], 'signature.txt', 'FIFO');
    const vecFifo = fifo('special/vectors.npy');
    add('index search --vector-file: a FIFO', ['index', 'search', '--index', valid.index, '--vector-file', vecFifo], 'vectors.npy', 'FIFO');
    const indexFifo = fifo('special/index.sqlite');
    add('index stats: the index is a FIFO', ['index', 'stats', '--index', indexFifo], 'index.sqlite', 'FIFO');
    add('index search: the index is a FIFO', ['index', 'search', '--index', indexFifo, '--model', valid.bundle, valid.imageA], 'index.sqlite', 'FIFO');
    for (const [name, make] of [['weights.bin', 'fifo'], ['weights.bin', 'zero'], ['manifest.json', 'fifo'], ['model.json', 'zero']] as const) {
      const b = path.join(dir, `bundle-${name}-${make}`);
      await fs.cp(valid.bundle, b, { recursive: true });
      await fs.rm(path.join(b, name));
      if (make === 'fifo') mkfifo(path.join(b, name));
      else await fs.symlink('/dev/zero', path.join(b, name));
      const needle = make === 'fifo' ? 'FIFO' : 'character device';
      add(`verify bundle: ${name} is ${make}`, ['verify', '--model', b, valid.imageA, valid.imageB], name, needle);
      add(`embed bundle: ${name} is ${make}`, ['embed', '--model', b, '--out', path.join(out, 'e.npy'), valid.imageA], name, needle);
    }
    const zeroIdx = path.join(dir, 'idx-zero');
    await fs.mkdir(zeroIdx, { recursive: true });
    await fs.symlink('/dev/zero', path.join(zeroIdx, 'train-images-idx3-ubyte'));
    await fs.copyFile(path.join(valid.idxDir, 'train-labels-idx1-ubyte'), path.join(zeroIdx, 'train-labels-idx1-ubyte'));
    add('train idx: the images file is a link to /dev/zero', ['train', '--dataset', `idx:${zeroIdx}`, '--epochs', '1', '--out', out], 'idx-zero');
  }
  // sparse files: as large as they claim, without the disk
  const huge = (rel: string, bytes: number): string => {
    const p = path.join(dir, rel);
    writeFileSync(p, '');
    truncateSync(p, bytes);
    return p;
  };
  await fs.mkdir(path.join(dir, 'oversized'), { recursive: true });
  const hugePng = huge('oversized/huge.png', 200 * 1024 * 1024);
  add('verify: an image over the size cap', ['verify', '--model', valid.bundle, hugePng, valid.imageB], 'huge.png', '200.0 MiB, more than the 128.0 MiB an image may have');
  add('face verify: an image over the size cap', ['face', 'verify', hugePng, valid.imageA], 'huge.png', 'more than the 128.0 MiB');
  const hugeCsv = huge('oversized/huge.csv', 300 * 1024 * 1024);
  add('train pairs: a CSV over the size cap', ['train', '--dataset', `pairs:${hugeCsv}`, '--image-size', '8x8', '--epochs', '1', '--out', out], 'huge.csv', 'more than the 256.0 MiB a pairs CSV may have');
  const hugeSig = huge('oversized/huge.txt', 20 * 1024 * 1024);
  add('signature verify: a signature over the size cap', ['signature', 'verify', '--model', valid.signatureBundle, valid.signature, hugeSig], 'huge.txt', 'more than the 16.0 MiB');
  const hugeWeights = path.join(dir, 'bundle-huge-weights');
  await fs.cp(valid.bundle, hugeWeights, { recursive: true });
  truncateSync(path.join(hugeWeights, 'weights.bin'), 3 * 1024 * 1024 * 1024);
  add('verify bundle: weights.bin over the size cap', ['verify', '--model', hugeWeights, valid.imageA, valid.imageB], 'weights.bin', 'more than the 2.0 GiB');

  // --- silent wrong results: a NaN weight, an index whose description is wrong
  const nanBundle = path.join(dir, 'bundle-nan');
  await fs.cp(valid.bundle, nanBundle, { recursive: true });
  const w = await fs.readFile(path.join(nanBundle, 'weights.bin'));
  w.writeFloatLE(Number.NaN, 8);
  await fs.writeFile(path.join(nanBundle, 'weights.bin'), w);
  add('embed: a bundle with a NaN weight', ['embed', '--model', nanBundle, '--out', path.join(out, 'e.npy'), valid.imageA], 'bundle-nan', 'non-finite weight');
  add('embed --dataset: a bundle with a NaN weight', ['embed', '--model', nanBundle, '--out', path.join(out, 'e.jsonl'), '--dataset', `idx:${valid.idxDir}`], 'bundle-nan', 'non-finite weight');
  add('verify: a bundle with a NaN weight', ['verify', '--model', nanBundle, valid.imageA, valid.imageB], 'bundle-nan', 'non-finite weight');
  add('eval: a bundle with a NaN weight', ['eval', '--model', nanBundle, '--dataset', `idx:${valid.idxDir}`, '--no-report'], 'bundle-nan', 'non-finite weight');
  add('index build: a bundle with a NaN weight', ['index', 'build', '--model', nanBundle, '--dataset', `idx:${valid.idxDir}`, '--split', 'all', '--out', path.join(out, 'i.sqlite')], 'bundle-nan', 'non-finite weight');
  const wrongDim = path.join(dir, 'indexes', 'wrong-dim.sqlite');
  await fs.copyFile(valid.index, wrongDim);
  {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(wrongDim);
    const row = db.prepare("SELECT value FROM contrastive_index_meta WHERE key = 'meta'").get() as { value: string };
    db.prepare("UPDATE contrastive_index_meta SET value = ? WHERE key = 'meta'").run(JSON.stringify({ ...JSON.parse(row.value), dim: 32 }));
    db.close();
  }
  add('index search: the index description says another dim', ['index', 'search', '--index', wrongDim, '--model', valid.bundle, valid.imageA], 'wrong-dim.sqlite', 'damaged', 'dim 32');
  add('index search --vector: the index description says another dim', ['index', 'search', '--index', wrongDim, '--vector', '1,0,0,0'], 'wrong-dim.sqlite', 'damaged');
  add('index stats: the index description says another dim', ['index', 'stats', '--index', wrongDim], 'wrong-dim.sqlite', 'damaged');

  // --- messages: control characters never reach the terminal, echoed values are cut, one error line
  if (posix) {
    const evil = path.join(dir, 'images', 'title\x1b]0;pwned\x07\x1b[2J.png');
    add('verify: a missing file whose name holds escape sequences', ['verify', '--model', valid.bundle, evil, valid.imageB], 'title\\x1b]0;pwned\\x07\\x1b[2J.png');
    const evilCsv = await file('csv/evil.csv', 'a.png,b\x1b[31mred\x9b.png,1\n');
    add('train pairs: a CSV path holding escape sequences', ['train', '--dataset', `pairs:${evilCsv}`, '--image-size', '8x8', '--epochs', '1', '--out', out], 'evil.csv line 1', 'b\\x1b[31mred\\x9b.png');
  }
  add('train: a 100,000-character option value', train(out, valid, '--epochs', '7'.repeat(100_000) + 'x'), '--epochs', 'characters');
  add('verify: a 100,000-character file name', ['verify', '--model', valid.bundle, 'q'.repeat(100_000), valid.imageB], /characters cut|too long|no such file/);
  add('serve --host 999.1.1.1', ['serve', '--model', valid.bundle, '--host', '999.1.1.1', '--port', '0'], '--host', '999.1.1.1');
  add('signature verify: a dot as the reference', ['signature', 'verify', '--model', valid.signatureBundle, path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'signatures', 'bad', 'dot.txt'), valid.signature], 'dot.txt', 'not a signature');
}

function train(out: string, valid: Valid, ...extra: string[]): string[] {
  return ['train', '--dataset', `idx:${valid.idxDir}`, '--epochs', '1', '--out', out, ...extra];
}
