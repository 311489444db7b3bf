/**
 * scripts/test-group.mjs, which `npm test` uses to run several test files in one process: each
 * file runs as one test named after it, its hooks its own (set-up when its turn comes, clean-up
 * when its tests are done), skips and todos kept, and a file that fails to load or uses
 * `describe` fails under its own name while the others still run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../support/cli.js';

const FILES: Record<string, string> = {
  'a.test.mjs': `import { test, before, after } from 'node:test';
let ready = false;
before(async () => { await new Promise((r) => setTimeout(r, 20)); ready = true; console.log('A before'); });
after(() => console.log('A after'));
test('a1', async () => { await new Promise((r) => setTimeout(r, 20)); if (!ready) throw new Error('a1 ran before its before hook'); console.log('a1'); });
test('a2', () => console.log('a2'));
`,
  'b.test.mjs': `import { test, before, after } from 'node:test';
await new Promise((r) => setTimeout(r, 20));
before(() => console.log('B before'));
after(() => console.log('B after'));
test('b1', () => console.log('b1'));
test.skip('b2 skipped', () => { throw new Error('a skipped test ran'); });
test('b3', { todo: 'later' }, () => {});
`,
  'broken.test.mjs': `throw new Error('broken at load');\n`,
  'suite.test.mjs': `import { describe, it } from 'node:test';\ndescribe('s', () => { it('x', () => {}); });\n`,
  'c.test.mjs': `import { test } from 'node:test';\ntest('c1', () => console.log('c1'));\n`,
};

/** This process's environment less what makes a `node --test` a child reporting to this test runner. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

test('a group runs each file as one test with its own hooks, in order; a broken or unsupported file fails under its name', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'contrastive-test-group-'));
  try {
    for (const [name, text] of Object.entries(FILES)) await fs.writeFile(path.join(dir, name), text);
    const runner = pathToFileURL(path.join(ROOT, 'scripts/test-group.mjs')).href;
    await fs.writeFile(path.join(dir, 'group.test.mjs'), `import { runGroup } from ${JSON.stringify(runner)};
await runGroup(${JSON.stringify(pathToFileURL(`${dir}/`).href)}, ${JSON.stringify(['a.test.mjs', 'b.test.mjs', 'broken.test.mjs', 'suite.test.mjs', 'c.test.mjs'])});
`);
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--test', '--test-reporter=tap', 'group.test.mjs'], { cwd: dir, env: childEnv() }, (err, out) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out }),
      );
    });
    assert.equal(code, 1, `the broken files fail the run:\n${stdout}`);
    // the files' own output, in order: each file's hooks around its own tests
    const printed = stdout.split('\n').map((l) => l.replace(/^# /, '').trim()).filter((l) => /^(A|B) (before|after)$|^[abc]\d$/.test(l));
    assert.deepEqual(printed, ['A before', 'a1', 'a2', 'A after', 'B before', 'b1', 'B after', 'c1']);
    for (const name of ['a.test.mjs', 'b.test.mjs', 'c.test.mjs']) assert.match(stdout, new RegExp(`^ok \\d+ - ${name.replace('.', '\\.')}$`, 'm'), `${name} passes`);
    assert.match(stdout, /^not ok \d+ - broken\.test\.mjs$/m);
    assert.match(stdout, /broken at load/);
    assert.match(stdout, /^not ok \d+ - suite\.test\.mjs$/m);
    assert.match(stdout, /describe\(\) at the top level cannot run in a shared test process/);
    assert.match(stdout, /ok \d+ - b2 skipped # SKIP/);
    assert.match(stdout, /ok \d+ - b3 # TODO later/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
