/** Small helpers for the tables and JSON files reports write. */

/** JSON.stringify replacer: JSON has no NaN or Infinity, so non-finite figures become null. */
export function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** A figure with `digits` decimals for a table, or '-' when it is missing or not finite. */
export function fixed(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/**
 * A message from another library as one line: its lines trimmed, repeats dropped,
 * joined with '; ' (libvips, for one, repeats each warning of a broken JPEG on its own line).
 */
export function oneLine(message: string): string {
  const lines = message.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return [...new Set(lines)].join('; ');
}
