/** The API's error answer, apart from the upload reader and the load limits that both throw it. */

/** An error the API answers with `statusCode` and `{ error, code }`. @group Server */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** More JSON fields of the answer (e.g. the faces found), beside `error` and `code`. */
    readonly details: Record<string, unknown> = {},
    /** HTTP headers of the answer (e.g. Retry-After of a 503). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
