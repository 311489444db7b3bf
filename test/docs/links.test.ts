/**
 * Every relative link of the Markdown pages (README.md, CONTRIBUTING.md, CHANGELOG.md,
 * docs/**) names a file that exists, and its #fragment names a heading of that page (as
 * GitHub makes heading anchors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/cli.js';

function pages(): string[] {
  const out = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].filter((f) => existsSync(path.join(ROOT, f)));
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory() && rel !== path.join('docs', 'api')) walk(rel);
      else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out.sort();
}

/** The page without its fenced code blocks and inline code (links there are examples, not links). */
function prose(text: string): string {
  return text.replace(/^([ \t]*)(`{3,})[^\n]*\n[\s\S]*?^\1\2[ \t]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const body = text.replace(/^([ \t]*)(`{3,})[^\n]*\n[\s\S]*?^\1\2[ \t]*$/gm, '');
  for (const m of body.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('GitHub anchors are made the way the links expect', () => {
  assert.deepEqual([...anchors('# A `b` (c)\n## Step 5 (2026-11-30): native kernels, the step\n## x\n## x\n')], ['a-b-c', 'step-5-2026-11-30-native-kernels-the-step', 'x', 'x-1']);
});

test('every relative link of the documentation resolves', () => {
  const broken: string[] = [];
  for (const page of pages()) {
    const text = prose(readFileSync(path.join(ROOT, page), 'utf8'));
    for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const href = m[1];
      if (/^[a-z]+:/i.test(href)) continue; // http:, https:, mailto:
      const [file, fragment] = href.split('#');
      const target = file === '' ? page : path.normalize(path.join(path.dirname(page), file));
      if (!existsSync(path.join(ROOT, target))) {
        broken.push(`${page}: ${href} (no file ${target})`);
        continue;
      }
      if (fragment !== undefined && statSync(path.join(ROOT, target)).isFile() && target.endsWith('.md')) {
        if (!anchors(readFileSync(path.join(ROOT, target), 'utf8')).has(fragment)) broken.push(`${page}: ${href} (no heading #${fragment} in ${target})`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
