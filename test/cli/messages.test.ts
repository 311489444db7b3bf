/**
 * What the terminal is shown, so that no message is silently wrong: control
 * characters from file names and CSV paths are escaped, echoed values are cut, an error is
 * one bounded line, a bad --host is one error, and TF.js's tfjs-node banner never appears.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { echoValue, printable } from '../../packages/contrastive/src/util/format.js';
import { errorLine, MAX_ERROR_LENGTH, userMessage } from '../../packages/cli/src/cli/program.js';
import { jsonText } from '../../packages/cli/src/cli/output.js';
import { hostAddress } from '../../packages/cli/src/cli/serve.js';
import { positiveInt } from '../../packages/cli/src/cli/options.js';
import { assertOneLineError, cli } from '../support/cli.js';

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-messages-'));
after(() => fs.rm(root, { recursive: true, force: true }));

test('printable: control characters, DEL, C1 and bidi/zero-width characters become visible escapes', () => {
  assert.equal(printable('a\x1b]0;pwned\x07b\x1b[2J.png'), 'a\\x1b]0;pwned\\x07b\\x1b[2J.png');
  assert.equal(printable('del\x7f c1\x9b rlo\u202e zw\u200b bom\ufeff'), 'del\\x7f c1\\x9b rlo\\u202e zw\\u200b bom\\ufeff');
  assert.equal(printable('two\nlines\tand tabs'), 'two\nlines\tand tabs');
  assert.equal(printable('two\nlines', true), 'two\\x0alines');
  assert.equal(printable('naïve 名前 ✓'), 'naïve 名前 ✓', 'printable text is left alone');
});

test('echoValue: one printable line, cut to a length, saying how long the value was', () => {
  assert.equal(echoValue('abc'), 'abc');
  const v = echoValue('x'.repeat(3_000_000));
  assert.ok(v.length < 100, v);
  assert.match(v, /\.\.\. \(3000000 characters\)$/);
  assert.equal(echoValue('a\nb\x1b'), 'a\\x0ab\\x1b');
  assert.throws(() => positiveInt('9'.repeat(50_000) + 'x'), (e: Error) => e.message.length < 200 && /characters\)'$/.test(e.message));
});

test('errorLine: one line, escaped, at most MAX_ERROR_LENGTH characters with the cut said', () => {
  assert.equal(errorLine('first\n  second\x1b[2J'), 'first; second\\x1b[2J');
  const long = errorLine(`start ${'y'.repeat(100_000)} end`);
  assert.ok(long.length <= MAX_ERROR_LENGTH + 60, `${long.length}`);
  assert.match(long, /^start y+ \.\.\. \(\d+ characters cut\) \.\.\. y+ end$/);
});

test('userMessage: the code names a library message starts with are left out (functions, classes, their members), after a command name too', () => {
  assert.equal(userMessage('loadBundle: x is missing'), 'x is missing');
  assert.equal(userMessage("EmbeddingIndex.open: index file 'a.db' does not exist"), "index file 'a.db' does not exist");
  assert.equal(userMessage('SiameseNetwork.embedBatched: rows: 3'), 'rows: 3');
  assert.equal(userMessage('KnnGallery: empty'), 'empty');
  assert.equal(userMessage('loadBundle: readUserText: too big'), 'too big');
  assert.equal(userMessage('index build: EmbeddingIndex.open: gone'), 'index build: gone');
  // command names, error classes, acronyms and words stay
  for (const kept of ['embed: the bundle', 'index search: no hits', 'TypeError: fetch failed', 'PostgreSQL: refused', 'mnist: row 3', 'a.b: c']) assert.equal(userMessage(kept), kept);
});

test('CLI: index search on a missing index file names the file, not the method that opened it', () => {
  const missing = path.join(root, 'missing.sqlite');
  const r = cli('index', 'search', '--index', missing, '--vector', '1,2');
  assertOneLineError(r, `index file '${missing}' does not exist`);
  assert.doesNotMatch(r.stderr, /EmbeddingIndex|\.open:/);
});

test('jsonText: the same JSON value, with what JSON.stringify leaves raw written as \\u escapes', () => {
  const value = { name: 'a\x9b\u202eb\x7f', n: 1 };
  const text = jsonText(value);
  assert.doesNotMatch(text, /[\x7f-\x9f\u202e]/);
  assert.deepEqual(JSON.parse(text), value);
});

test('--host: addresses and host names pass, a dotted quad out of range is refused when parsed', () => {
  for (const ok of ['127.0.0.1', '0.0.0.0', '::1', 'localhost', 'my-host.example.org']) assert.equal(hostAddress(ok), ok);
  for (const bad of ['999.1.1.1', '1.2.3', '-bad-', 'a..b', '', 'a b', 'x\x1b[2J']) assert.throws(() => hostAddress(bad), /expected an IP address/, bad);
});

test('CLI: serve --host 999.1.1.1 is one error line, before any model is loaded; export prints no tfjs-node banner', async () => {
  // a tiny bundle, exported as a user would: stderr stays empty (the banner used to print on the cpu backend)
  const { saveBundle } = await import('../../packages/node/src/models/bundle.js');
  const { SiameseNetwork, mlpEncoder } = await import('../../packages/contrastive/src/models/index.js');
  const { initBackend } = await import('../../packages/node/src/engine/backend.js');
  await initBackend('wasm');
  const net = new SiameseNetwork(mlpEncoder({ inputShape: [6], hidden: [8], embeddingDim: 4, seed: 1 }), { normalize: true });
  const bundle = path.join(root, 'bundle');
  await saveBundle(bundle, net, { loss: { name: 'contrastive', convention: 'hadsell', margin: 1 } });
  net.dispose();
  // a valid bundle: the bad host alone is the error (it used to warn, load the model, then fail: two lines)
  assertOneLineError(cli('serve', '--model', bundle, '--host', '999.1.1.1', '--port', '0'), '--host', '999.1.1.1');
  for (const backend of ['auto', 'cpu']) {
    const r = cli('export', '--model', bundle, '--onnx', '--out', path.join(root, `served-${backend}`), '--backend', backend);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', `${backend}: nothing on stderr`);
  }
});
