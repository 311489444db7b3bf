// A node test reporter for scripts/test.mjs: one JSON object, each test file's path (relative to
// the working directory) to its time in ms, from the runner taking it up to its last event (its
// imports and set-up included). `npm test` keeps it in node_modules/.cache/contrastive/ and
// starts the slowest files first next time.
import path from 'node:path';

export default async function* testDurations(source) {
  const started = new Map();
  const last = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const now = Date.now();
    // the runner takes a file up: an event of the file's own name, at the top level
    if (event.type === 'test:dequeue' && event.data.nesting === 0 && event.data.name === file && !started.has(file)) started.set(file, now);
    last.set(file, now);
  }
  const out = {};
  for (const [file, t0] of started) out[path.relative(process.cwd(), file)] = last.get(file) - t0;
  yield `${JSON.stringify(out)}\n`;
}
