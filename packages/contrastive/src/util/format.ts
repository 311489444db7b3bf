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

// C0 controls but tab and newline, DEL, C1 controls, and the Unicode format
// characters that reorder or hide text on a terminal (bidi overrides and isolates,
// zero-width marks, line and paragraph separators, BOM).
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const UNPRINTABLE_OR_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` made safe to print on a terminal: control characters (an escape
 * sequence in a file name could set the window title or clear the screen),
 * DEL, C1 controls and the invisible or reordering Unicode format characters
 * become visible escapes (`\x1b`, `\u202e`). Newlines and tabs are kept unless
 * `oneLine` is set (then a newline shows as `\x0a` too).
 */
export function printable(text: string, oneLine = false): string {
  return text.replace(oneLine ? UNPRINTABLE_OR_NEWLINE : UNPRINTABLE, escapeChar);
}

/**
 * A value from the input echoed in a message: printable on one line (see
 * {@link printable}) and cut to about `max` characters, saying how much was
 * cut, so a 3 MB field is not printed back whole.
 */
export function echoValue(value: string, max = 60): string {
  const s = String(value);
  const shown = s.length > max ? `${s.slice(0, max)}... (${s.length} characters)` : s;
  return printable(shown, true);
}
