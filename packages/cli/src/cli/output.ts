/**
 * Printing helpers shared by the commands: JSON text, plurals, figures, and the
 * writers every human-readable line goes through. File names, CSV paths, index
 * ids and labels come from the user's data: printed raw, an escape sequence in
 * one could set the terminal's title or clear its screen, so every line is made
 * printable (see printable) and every JSON text escapes what JSON.stringify leaves raw.
 */
import { printable } from 'contrastive/internal/util/format.js';

/** Writes human-readable text to stdout with control characters shown as escapes. */
export function say(text: string): void {
  process.stdout.write(printable(text));
}

/** Writes human-readable text (a warning, a progress line) to stderr with control characters shown as escapes. */
export function warn(text: string): void {
  process.stderr.write(printable(text));
}

// JSON.stringify escapes C0 controls but leaves DEL, C1 controls and the invisible or reordering format characters raw.
const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** JSON.stringify, with every character a terminal could act on written as a \uXXXX escape (the same JSON value). */
export function jsonText(value: unknown, replacer?: (this: unknown, key: string, value: unknown) => unknown, space?: number): string {
  return JSON.stringify(value, replacer, space).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON text of a result: typed arrays become arrays, and the non-finite numbers
 * JSON cannot hold (the ROC's first threshold is -Infinity) become the strings
 * "Infinity" / "-Infinity" / "NaN", which Number() reads back.
 */
export function toJson(value: unknown): string {
  return jsonText(value, (_key, v: unknown) => {
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
