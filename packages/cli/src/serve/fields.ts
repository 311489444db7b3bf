/**
 * The API's fields and their strict schemas (zod): a value is taken only in
 * the form the API documents (`k` is an integer in 1..100, not `[3]` or
 * `true`; JSON bodies carry no unknown keys), and a bad one is a 400 naming the
 * field, what it must be, and a cut copy of what was sent.
 */
import { z } from 'zod';
import { ApiError, quote } from './uploads.js';

/** A field's schema and what it must be, for the message. */
export interface FieldRule<T> {
  schema: z.ZodType<T>;
  must: string;
}

/** Longest `label` accepted (a class name). */
export const MAX_LABEL_CHARS = 256;

const K = { min: 1, max: 100 };
const kMust = `an integer in ${K.min}..${K.max}`;
const wholeNumber = z.string().trim().regex(/^\d{1,9}$/).transform(Number);

/** Search `k` sent as a multipart text field. */
export const K_TEXT: FieldRule<number> = { schema: wholeNumber.pipe(z.number().int().min(K.min).max(K.max)), must: kMust };
/** Search `k` in a JSON body: a JSON number, nothing that merely converts to one. */
export const K_JSON: FieldRule<number> = { schema: z.number().int().min(K.min).max(K.max), must: kMust };
/** Search `label` (text field or JSON string); empty means no filter. */
export const LABEL: FieldRule<string> = { schema: z.string().max(MAX_LABEL_CHARS), must: `a string of at most ${MAX_LABEL_CHARS} characters` };
/** Verify `threshold` sent as a text field: a finite number. */
export const THRESHOLD_TEXT: FieldRule<number> = {
  schema: z.string().trim().min(1).transform(Number).pipe(z.number()),
  must: 'a finite number',
};
/** Face verify `threshold`: a finite number > 0. */
export const POSITIVE_THRESHOLD_TEXT: FieldRule<number> = {
  schema: z.string().trim().min(1).transform(Number).pipe(z.number().positive()),
  must: 'a positive number',
};
/** Face choice `faceA` / `faceB`: an integer >= 0. */
export const FACE_INDEX_TEXT: FieldRule<number> = { schema: wholeNumber, must: 'an integer >= 0' };

/** `value` of field `name` checked by `rule`, or a 400 INVALID_FIELD. */
export function parseField<T>(name: string, value: unknown, rule: FieldRule<T>, detail = ''): T {
  const r = rule.schema.safeParse(value);
  if (!r.success) throw new ApiError(400, 'INVALID_FIELD', `field '${name}' must be ${rule.must}${detail}, got ${quote(value)}`);
  return r.data;
}

/** An optional text field: absent (or, with `emptyIsAbsent`, empty) is undefined. */
export function optionalField<T>(fields: Record<string, string>, name: string, rule: FieldRule<T>, detail = ''): T | undefined {
  const v = fields[name];
  return v === undefined ? undefined : parseField(name, v, rule, detail);
}

/**
 * A JSON body's keys checked against `keys` (no others), the body itself an
 * object; `shape` says what to send in the messages.
 */
export function jsonObject(body: unknown, keys: readonly string[], shape: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'INVALID_BODY', `send ${shape}`);
  const r = z.strictObject(Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]))).safeParse(body);
  if (!r.success) {
    const unknown = r.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []));
    throw new ApiError(400, 'UNKNOWN_FIELD', `unexpected field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map(quote).join(', ')}: send ${shape}`);
  }
  return body as Record<string, unknown>;
}

/** A search query embedding: exactly `dim` finite JSON numbers. */
export function embeddingRule(dim: number): FieldRule<number[]> {
  return { schema: z.array(z.number()).length(dim), must: `${dim} finite numbers` };
}
