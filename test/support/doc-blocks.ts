/**
 * The TypeScript a reader copies from the documentation: every ```ts block of README.md
 * and docs/**\/*.md, and every ```ts block under an `@example` tag of the packages' doc
 * comments, each with where it came from and whether it is meant to run.
 *
 * A block runs unless the line before its fence (blank lines aside) is
 *
 *     <!-- docs-test: typecheck-only (why) -->
 *
 * which keeps it to the type check: it needs a server, a browser, a database, data that
 * is not installed, or minutes. The reason is required, so that a reader of the page
 * can see why a block is not run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** How the test treats a block. */
export type BlockMode = 'run' | 'typecheck';

/** One ```ts block of the documentation. */
export interface DocBlock {
  /** File relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest Markdown heading above the block (README and docs), or the declaration's file (@example). */
  heading: string;
  mode: BlockMode;
  /** Why a typecheck-only block is not run. */
  reason?: string;
  code: string;
}

const MARKER = /^<!--\s*docs-test:\s*(.*?)\s*-->$/;
const FENCE_OPEN = /^(\s*)```(ts|typescript)\s*$/;

/** Reads a marker's text: `typecheck-only (why)`; anything else is an error naming the place. */
function readMarker(text: string, where: string): { mode: BlockMode; reason?: string } {
  const m = /^typecheck-only\s*\((.+)\)$/.exec(text);
  if (!m) throw new Error(`${where}: unknown docs-test marker '${text}' (expected 'typecheck-only (why)')`);
  return { mode: 'typecheck', reason: m[1] };
}

/** The ```ts blocks of Markdown `lines` (comment prefixes already stripped). */
export function blocksOfLines(lines: readonly string[], file: string, firstLine = 1, heading = ''): DocBlock[] {
  const blocks: DocBlock[] = [];
  let title = heading;
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (fence !== null) {
      // Inside any fenced block: only its closing fence ends it.
      if (line.trim() === fence) fence = null;
      continue;
    }
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) title = h[1].trim();
    const open = FENCE_OPEN.exec(line);
    if (!open) {
      const other = /^\s*(`{3,})/.exec(line);
      if (other) fence = other[1];
      continue;
    }
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === '') j--;
    const where = `${file}:${firstLine + i}`;
    const marker = j >= 0 ? MARKER.exec(lines[j].trim()) : null;
    const { mode, reason } = marker ? readMarker(marker[1], where) : { mode: 'run' as const, reason: undefined };
    const body: string[] = [];
    let k = i + 1;
    for (; k < lines.length && lines[k].trim() !== '```'; k++) body.push(lines[k].slice(open[1].length));
    if (k === lines.length) throw new Error(`${where}: a \`\`\`ts block that is never closed`);
    blocks.push({ file, line: firstLine + i, heading: title, mode, reason, code: body.join('\n') + '\n' });
    i = k;
  }
  return blocks;
}

function markdownFiles(root: string): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (rel !== path.join('docs', 'api')) walk(rel); // docs/api: TypeDoc's output, not ours
      } else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out.sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The ```ts blocks under `@example` tags of one source file's doc comments. */
export function exampleBlocks(source: string, file: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const re = /\/\*\*[\s\S]*?\*\//g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const comment = m[0];
    const at = comment.indexOf('@example');
    if (at < 0) continue;
    const startLine = source.slice(0, m.index).split('\n').length;
    const lines = comment.split('\n').map((l) => l.replace(/^\s*\/?\*{1,2}\/?( ?)/, '').replace(/\s*\*\/$/, ''));
    // Only the text after the @example tag, up to the next block tag.
    const tagLine = comment.slice(0, at).split('\n').length - 1;
    let end = lines.length;
    for (let i = tagLine + 1; i < lines.length; i++) {
      if (/^@\w+/.test(lines[i]) && !lines[i].startsWith('@example')) {
        end = i;
        break;
      }
    }
    blocks.push(...blocksOfLines(lines.slice(tagLine, end), file, startLine + tagLine, `@example in ${path.basename(file)}`));
  }
  return blocks;
}

/** Every documented ```ts block of the repository at `root`. */
export function docBlocks(root: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of markdownFiles(root)) {
    blocks.push(...blocksOfLines(readFileSync(path.join(root, file), 'utf8').split('\n'), file));
  }
  const packages = path.join(root, 'packages');
  for (const pkg of readdirSync(packages).sort()) {
    const src = path.join(packages, pkg, 'src');
    let files: string[];
    try {
      files = sourceFiles(src).sort();
    } catch {
      continue; // a package without TypeScript sources (kernels-native)
    }
    for (const f of files) blocks.push(...exampleBlocks(readFileSync(f, 'utf8'), path.relative(root, f)));
  }
  return blocks;
}
