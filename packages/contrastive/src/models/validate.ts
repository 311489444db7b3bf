/** Turns zod validation failures into {@link ContrastiveError}s that name the function and the field. */
import type { z } from 'zod';
import { ContrastiveError, type ErrorCode } from '../errors.js';

/** One line per problem: `field.path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Parses `value` with `schema` or throws `fn: what is invalid: <issues>`. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  fn: string,
  what: string,
  code: ErrorCode = 'INVALID_ARGUMENT',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ContrastiveError(code, `${fn}: ${what} is invalid: ${describeIssues(result.error)}`);
  return result.data;
}
