/** Turns valibot validation failures into {@link ContrastiveError}s that name the function and the field. */
import * as v from 'valibot';
import { ContrastiveError, type ErrorCode } from '../errors.js';

/** Any valibot schema (synchronous). */
export type Schema = v.GenericSchema;

/** One line per problem: `field.path: message`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`).join('; ');
}

/** `value` parsed by `schema`, or the problems found in it (as {@link describeIssues} words them). */
export function safeParseWith<S extends Schema>(schema: S, value: unknown): { ok: true; value: v.InferOutput<S> } | { ok: false; problems: string } {
  const result = v.safeParse(schema, value);
  return result.success ? { ok: true, value: result.output } : { ok: false, problems: describeIssues(result.issues) };
}

/** Parses `value` with `schema` or throws `fn: what is invalid: <issues>`. */
export function parseWith<S extends Schema>(
  schema: S,
  value: unknown,
  fn: string,
  what: string,
  code: ErrorCode = 'INVALID_ARGUMENT',
): v.InferOutput<S> {
  const result = safeParseWith(schema, value);
  if (!result.ok) throw new ContrastiveError(code, `${fn}: ${what} is invalid: ${result.problems}`);
  return result.value;
}
