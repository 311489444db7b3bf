// A node test reporter: per test file, the time its top-level tests took, slowest first, and how
// many failed. Use it beside the usual reporter to see where a run's time goes:
//   NODE_OPTIONS=--conditions=contrastive-source node --import tsx --test --test-concurrency=2 \
//     --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./scripts/test-file-times.mjs --test-reporter-destination=file-times.txt \
//     $(find test -name '*.test.ts' | sort)
// A file's figure is the sum of its top-level tests' durations: its imports and file-level
// before/after hooks are not in it (they run outside any test).
import path from 'node:path';

export default async function* fileTimes(source) {
  const files = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.nesting !== 0 || !data.file) continue;
    const f = files.get(data.file) ?? { ms: 0, tests: 0, failed: 0 };
    f.ms += data.details?.duration_ms ?? 0;
    f.tests += 1;
    if (event.type === 'test:fail') f.failed += 1;
    files.set(data.file, f);
  }
  const rows = [...files].sort((a, b) => b[1].ms - a[1].ms);
  let total = 0;
  for (const [file, f] of rows) {
    total += f.ms;
    yield `${(f.ms / 1000).toFixed(1).padStart(7)} s  ${String(f.tests).padStart(3)} tests${f.failed ? ` (${f.failed} failed)` : ''}  ${path.relative(process.cwd(), file)}\n`;
  }
  yield `${rows.length} files, ${(total / 1000).toFixed(0)} s in their tests\n`;
}
