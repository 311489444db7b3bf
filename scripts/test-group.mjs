// Several test files in one process, each as it would run in a process of its own: `npm test`
// (scripts/test.mjs) writes small group files that call `runGroup` with their members.
//
// Why not simply import the files one after another: Node runs a top-level `before` hook as soon
// as it is registered, so a file's set-up would run while the files before it are still testing
// (two set-ups choosing TF.js backends at once, for one), and its `after` hooks would wait for the
// whole group. So while the files load, `test` (`it`, `.skip`, `.todo`, `.only`) and the hooks of
// node:test only record what each file asks for; then each file becomes one top-level test, named
// after it, whose subtests and hooks are the file's own: its set-up runs when its turn comes, its
// clean-up when its tests are done, and a failure is reported under the file's name.
//
// Every file is loaded before any test starts, as in its own process, where a file's module code
// runs before its tests. A file that uses `describe` at its top level, or changes the process for
// the files after it, needs a process of its own (scripts/test.mjs: the
// `// npm test: own process (why)` line).
import { createRequire, syncBuiltinESMExports } from 'node:module';

const nodeTest = createRequire(import.meta.url)('node:test');
const API = ['test', 'it', 'before', 'after', 'beforeEach', 'afterEach', 'describe', 'suite'];
const real = Object.fromEntries(API.map((name) => [name, nodeTest[name]]));

/** What the file being loaded asked for: its top-level tests and hooks, in order. */
let recording;

/** `args` of test(name?, options?, fn?) with `flag` (skip, todo, only) set in the options. */
function flagged(args, flag) {
  const rest = [...args];
  const name = typeof rest[0] === 'string' ? rest.shift() : undefined;
  const options = rest[0] !== null && typeof rest[0] === 'object' ? rest.shift() : {};
  return [name, { ...options, [flag]: true }, ...rest];
}

for (const name of API) {
  const record = (...args) => {
    if (!recording) return real[name](...args);
    if (name === 'describe' || name === 'suite') {
      throw new Error(`${name}() at the top level cannot run in a shared test process: start the file with '// npm test: own process (why)'`);
    }
    if (name === 'test' || name === 'it') recording.tests.push(args);
    else recording.hooks.push([name, args]);
    // a top-level test() returns a promise; no file awaits one, but keep the shape
    return name === 'test' || name === 'it' ? Promise.resolve() : undefined;
  };
  if (name === 'test' || name === 'it') {
    for (const flag of ['skip', 'todo', 'only']) record[flag] = (...args) => record(...flagged(args, flag));
  }
  nodeTest[name] = record;
}
// the named exports of node:test (`import { test } from 'node:test'`) follow the patched ones
syncBuiltinESMExports();

/**
 * Loads each of `files` (paths relative to `root`, a file URL ending in `/`), then runs each as
 * one top-level test named after the file. A file that fails to load is a failing test of that name.
 */
export async function runGroup(root, files) {
  const loaded = [];
  for (const file of files) {
    recording = { tests: [], hooks: [] };
    try {
      await import(new URL(file, root).href);
      loaded.push({ file, ...recording });
    } catch (error) {
      loaded.push({ file, error });
    } finally {
      recording = undefined;
    }
  }
  for (const { file, error, tests, hooks } of loaded) {
    real.test(file, async (t) => {
      if (error) throw error;
      for (const [name, args] of hooks) t[name](...args);
      for (const args of tests) await t.test(...args);
    });
  }
}
