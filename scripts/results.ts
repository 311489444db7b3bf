/**
 * `npm run results`: the results tables of the documentation come from commands, not from
 * memory. Each generated table sits between two markers that name it, say whether its
 * command runs in seconds (`fast`) or minutes (`slow`), and give the command:
 *
 *   <!-- results NAME fast: contrastive signature demo --writers 24 --seed 7 -->
 *   | ... the table the command prints ... |
 *   <!-- /results -->
 *
 * The command is a `contrastive ...` command line (run from this checkout's sources),
 * optionally after `VAR=value` settings; the table is the first Markdown table it prints.
 * This script reruns the commands and writes their tables between the markers; with
 * `--check` it only compares and names each cell that drifted (exit status 1). Columns of
 * times (a header ending in "s" for seconds, or naming a time) are never compared: they
 * depend on the machine, not on the code.
 *
 *   node --conditions=contrastive-source --import tsx scripts/results.ts [--check] [--fast] [--only NAME] [--file PATH]
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The pages whose tables may be generated: docs/results/*.md and the README. */
export function resultPages(root = ROOT): string[] {
  const dir = path.join(root, 'docs', 'results');
  return [path.join(root, 'README.md'), ...readdirSync(dir).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(dir, f))];
}

/** One generated table of a page. */
export interface ResultTable {
  name: string;
  fast: boolean;
  /** The command line as the marker gives it. */
  command: string;
  file: string;
  /** 1-based line of the opening marker. */
  line: number;
  /** The table's lines as the page has them. */
  table: string[];
}

const OPEN = /^<!-- results ([a-z0-9-]+) (fast|slow): (.+?) -->$/;
const CLOSE = '<!-- /results -->';

/** The marked tables of one page's text. */
export function markedTables(text: string, file: string): ResultTable[] {
  const lines = text.split('\n');
  const out: ResultTable[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('<!-- results ')) continue;
    const m = OPEN.exec(lines[i]);
    if (!m) throw new Error(`${file}:${i + 1}: a results marker reads <!-- results NAME fast|slow: COMMAND -->, got ${lines[i]}`);
    const end = lines.indexOf(CLOSE, i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: results ${m[1]} has no closing ${CLOSE}`);
    out.push({ name: m[1], fast: m[2] === 'fast', command: m[3], file, line: i + 1, table: lines.slice(i + 1, end) });
    i = end;
  }
  return out;
}

/** `VAR=value ... contrastive args...` split into settings and arguments ('...' and "..." quote). */
export function parseCommand(command: string): { env: Record<string, string>; args: string[] } {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) words.push(m[1] ?? m[2] ?? m[3]);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const w = words.shift()!;
    env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  if (words.shift() !== 'contrastive') throw new Error(`a results command runs contrastive, got: ${command}`);
  return { env, args: words };
}

/** The first Markdown table of a command's output. */
export function firstTable(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  if (start < 0) return [];
  const end = lines.findIndex((l, k) => k > start && !l.startsWith('|'));
  return lines.slice(start, end < 0 ? lines.length : end);
}

/** Runs a table's command from this checkout's sources and returns what it printed. */
export function runCommand(command: string, root = ROOT): Promise<string> {
  const { env, args } = parseCommand(command);
  const main = path.join(root, 'packages', 'cli', 'src', 'cli', 'main.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=contrastive-source', '--import', 'tsx', main, ...args], {
      cwd: root,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`))));
  });
}

// Cells split on the pipes that are not escaped (a cell may hold `\|`).
const cells = (row: string): string[] => row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());

/** A column of times: they depend on the machine, so they are not compared. */
export function isTimeColumn(header: string): boolean {
  return /(^|\s)(s|ms|time|seconds)$|^time\b|\btime \(/i.test(header.trim());
}

/**
 * The differences between the documented table and the printed one, cell by cell (time
 * columns left out), each naming the row (by its first cell) and the column.
 */
export function tableDrift(documented: readonly string[], printed: readonly string[]): string[] {
  if (printed.length === 0) return ['the command printed no Markdown table'];
  const head = cells(documented[0] ?? '');
  const printedHead = cells(printed[0]);
  if (head.join('|') !== printedHead.join('|')) return [`the header: documented "${head.join(' | ')}", printed "${printedHead.join(' | ')}"`];
  const drift: string[] = [];
  if (documented.length !== printed.length) drift.push(`${documented.length - 2} rows documented, ${printed.length - 2} printed`);
  for (let r = 2; r < Math.min(documented.length, printed.length); r++) {
    const a = cells(documented[r]);
    const b = cells(printed[r]);
    for (let c = 0; c < head.length; c++) {
      if (isTimeColumn(head[c]) || a[c] === b[c]) continue;
      drift.push(`row "${a[0]}", column "${head[c]}": documented ${a[c] ?? '(none)'}, printed ${b[c] ?? '(none)'}`);
    }
  }
  return drift;
}

/** Writes `text` to `file` through a temporary file and a rename. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      fast: { type: 'boolean', default: false },
      only: { type: 'string' },
      file: { type: 'string', multiple: true },
    },
  });
  const pages = values.file?.map((f) => path.resolve(f)) ?? resultPages();
  const all = pages.flatMap((f) => markedTables(readFileSync(f, 'utf8'), f));
  const names = new Set<string>();
  for (const t of all) {
    if (names.has(t.name)) throw new Error(`two results tables are named ${t.name}`);
    names.add(t.name);
  }
  if (values.only !== undefined && !names.has(values.only)) throw new Error(`no results table is named ${values.only} (there are: ${[...names].join(', ')})`);
  const chosen = all.filter((t) => (values.only === undefined || t.name === values.only) && (!values.fast || t.fast));
  let drifted = 0;
  for (const t of chosen) {
    const where = `${path.relative(ROOT, t.file)}:${t.line}`;
    const started = Date.now();
    const printed = firstTable(await runCommand(t.command));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const drift = tableDrift(t.table, printed);
    if (values.check) {
      if (drift.length === 0) console.log(`results ${t.name} (${where}): matches (${seconds} s)`);
      else {
        drifted++;
        console.log(`results ${t.name} (${where}) drifted (${seconds} s):\n${drift.map((d) => `  ${d}`).join('\n')}`);
      }
      continue;
    }
    if (printed.length === 0) throw new Error(`results ${t.name} (${where}): ${t.command} printed no Markdown table`);
    const text = readFileSync(t.file, 'utf8');
    const fresh = markedTables(text, t.file).find((x) => x.name === t.name)!;
    const lines = text.split('\n');
    lines.splice(fresh.line, fresh.table.length, ...printed);
    writeAtomic(t.file, lines.join('\n'));
    console.log(`results ${t.name} (${where}): ${drift.length === 0 ? 'unchanged' : `rewritten (${drift.length} difference${drift.length === 1 ? '' : 's'})`} (${seconds} s)`);
  }
  if (chosen.length === 0) console.log('no results table chosen');
  if (drifted > 0) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`results: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  });
}
