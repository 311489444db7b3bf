/** Small helpers for the tables and JSON files reports write. */

/** JSON.stringify replacer: JSON has no NaN or Infinity, so non-finite figures become null. */
export function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** A figure with `digits` decimals for a table, or '-' when it is missing or not finite. */
export function fixed(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}
