/**
 * The results tables of the documentation come from commands: each generated table sits
 * between markers naming its command (scripts/results.ts). The fast ones are rerun here
 * with their seed and must print the documented table, cell for cell (times excepted).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, markedTables, parseCommand, resultPages, tableDrift, isTimeColumn } from '../../scripts/results.js';

const tables = resultPages().flatMap((f) => markedTables(readFileSync(f, 'utf8'), f));

test('every marked table names a contrastive command, has a unique name, and a fast one to check', () => {
  assert.ok(tables.some((t) => t.fast), 'at least one fast table');
  assert.equal(new Set(tables.map((t) => t.name)).size, tables.length);
  for (const t of tables) {
    assert.ok(parseCommand(t.command).args.length > 0, t.name);
    assert.match(t.table[0] ?? '', /^\|/, `${t.name}: a Markdown table between its markers`);
  }
});

test('a drifted cell is named by its row and column; times are not compared', () => {
  const t = tables.find((x) => x.fast)!;
  assert.deepEqual(tableDrift(t.table, t.table), []);
  const printed = [...t.table];
  const cells = printed[2].split('|');
  cells[2] = ' 99.99 % ';
  printed[2] = cells.join('|');
  const [drift] = tableDrift(t.table, printed);
  const row = t.table[2].split('|')[1].trim();
  const column = t.table[0].split('|')[2].trim();
  assert.match(drift, new RegExp(`^row "${row.replace(/[()]/g, '\\$&')}", column "${column}": documented .*, printed 99\\.99 %$`));
  assert.deepEqual(tableDrift(['| a | train s |', '|---|---:|', '| x | 1.0 |'], ['| a | train s |', '|---|---:|', '| x | 2.5 |']), []);
  assert.ok(isTimeColumn('train s') && isTimeColumn('scoring time') && !isTimeColumn('FAR skilled'));
  assert.match(tableDrift(t.table, [])[0], /printed no Markdown table/);
});

test('the fast tables match what their commands print with the same seed', () => {
  const r = spawnSync(process.execPath, ['--conditions=contrastive-source', '--import', 'tsx', path.join(ROOT, 'scripts', 'results.ts'), '--check', '--fast'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `npm run results -- --check --fast:\n${r.stdout}${r.stderr}`);
  for (const t of tables.filter((x) => x.fast)) assert.match(r.stdout, new RegExp(`results ${t.name} \\(.*\\): matches`));
});
