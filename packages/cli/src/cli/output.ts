/** Printing helpers shared by the commands: JSON text, plurals, figures. */

/**
 * JSON text of a result: typed arrays become arrays, and the non-finite numbers
 * JSON cannot hold (the ROC's first threshold is -Infinity) become the strings
 * "Infinity" / "-Infinity" / "NaN", which Number() reads back.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : String(x)));
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
}

/** `n word` with the word in the plural unless n is 1: "1 epoch", "2 epochs". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A signed term of a formula: ' + 8.7' or ' - 8.7' (never '+ -8.7'). */
export function signed(x: number, digits = 6): string {
  return `${x < 0 ? ' - ' : ' + '}${Math.abs(x).toPrecision(digits)}`;
}

/** Four decimals, '-' for null, the JS text for non-finite numbers. */
export function f4(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : Number.isFinite(x) ? x.toFixed(4) : String(x);
}
