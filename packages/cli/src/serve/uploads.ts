/**
 * Reading a multipart/form-data request (parsed by @fastify/multipart) into
 * named image uploads and text fields, with the checks the API promises:
 * a size cap per file, image content types only, and clear 4xx errors.
 */
import type { FastifyRequest } from 'fastify';

/** One uploaded file. @group Server */
export interface Upload {
  field: string;
  filename: string;
  mimetype: string;
  bytes: Buffer;
}

/** An error the API answers with `statusCode` and `{ error, code }`. @group Server */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** More JSON fields of the answer (e.g. the faces found), beside `error` and `code`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What a multipart request held. */
export interface UploadedForm {
  files: Upload[];
  fields: Record<string, string>;
}

/** Content types accepted for an image part; the bytes are still decoded before use. */
function isImageType(mimetype: string): boolean {
  return mimetype.startsWith('image/') || mimetype === 'application/octet-stream';
}

/**
 * Reads every part of a multipart request. Files over the cap, non-image
 * content types and non-multipart requests become {@link ApiError}s.
 */
export async function readForm(request: FastifyRequest, maxBytes: number): Promise<UploadedForm> {
  if (!request.isMultipart()) {
    throw new ApiError(415, 'NOT_MULTIPART', `send multipart/form-data with image files (got ${request.headers['content-type'] ?? 'no content type'})`);
  }
  const files: Upload[] = [];
  const fields: Record<string, string> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (!isImageType(part.mimetype)) {
          throw new ApiError(415, 'NOT_AN_IMAGE', `field '${part.fieldname}' (${part.filename || 'no name'}) has content type ${part.mimetype}; send an image (PNG, JPEG, WebP, ...)`);
        }
        files.push({ field: part.fieldname, filename: part.filename, mimetype: part.mimetype, bytes });
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const e = err as { code?: string; statusCode?: number; message: string };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') throw new ApiError(413, 'TOO_LARGE', `an uploaded file is larger than the ${maxBytes}-byte limit`);
    if (typeof e.statusCode === 'number' && e.statusCode < 500) throw new ApiError(e.statusCode, e.code ?? 'BAD_REQUEST', e.message);
    // anything else the multipart parser throws (a boundary that never comes, a cut body) is the client's malformed request
    throw new ApiError(400, 'MALFORMED_MULTIPART', `the multipart body cannot be read (${e.message})`);
  }
  return { files, fields };
}

/** The one file of `field`, or a 400 naming the missing field. */
export function oneFile(form: UploadedForm, field: string): Upload {
  const found = form.files.filter((f) => f.field === field);
  const sent = form.files.map((f) => f.field);
  if (found.length === 0) {
    throw new ApiError(400, 'MISSING_FIELD', `missing image field '${field}' (sent: ${sent.length ? sent.join(', ') : 'no files'})`);
  }
  if (found.length > 1) throw new ApiError(400, 'DUPLICATE_FIELD', `field '${field}' holds ${found.length} files; send one`);
  if (found[0].bytes.length === 0) throw new ApiError(400, 'EMPTY_FILE', `field '${field}' is an empty file`);
  return found[0];
}
