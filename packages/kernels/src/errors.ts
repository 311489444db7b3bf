/**
 * Errors the library throws. The library never prints or exits: it throws a
 * {@link ContrastiveError} whose message names the problem (argument, shape,
 * file, line), and the CLI turns it into one line on stderr and a non-zero exit.
 */

/** Machine-readable category of a {@link ContrastiveError}. @group Errors */
export type ErrorCode =
  | 'INVALID_ARGUMENT' // wrong value, shape, label or option passed to an API call
  | 'INVALID_DATA' // a file or dataset whose content is wrong (bad magic, bad CSV row, ...)
  | 'NOT_FOUND' // a file, folder, dataset or model that does not exist
  | 'UNSUPPORTED' // something valid but not available here (backend, format version)
  | 'NUMERIC' // non-finite values where finite ones are required
  | 'STATE'; // an operation that is not possible in the current state

/** The one error type the library throws on bad input. @group Errors */
export class ContrastiveError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContrastiveError';
    this.code = code;
  }
}

/** Throws an INVALID_ARGUMENT error `fn: message` when `condition` is false. */
export function check(condition: unknown, fn: string, message: string): asserts condition {
  if (!condition) throw new ContrastiveError('INVALID_ARGUMENT', `${fn}: ${message}`);
}
