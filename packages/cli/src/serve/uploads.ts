/**
 * Reading a multipart/form-data request (parsed by @fastify/multipart) into
 * named image uploads and text fields, with the checks the API promises: only
 * the parts the endpoint takes (an unknown or repeated part is refused when it
 * starts, before its bytes are read), a size cap per file, every byte counted
 * against the server's shared upload budget as it arrives, image content types
 * only, short text fields, and clear 4xx errors that never echo more than a
 * few dozen characters of what was sent.
 */
import type { FastifyRequest } from 'fastify';
import type { Turn } from './load-limits.js';
import { ApiError } from './api-error.js';

/** One uploaded file. @group Server */
export interface Upload {
  field: string;
  filename: string;
  mimetype: string;
  bytes: Buffer;
}

export { ApiError } from './api-error.js';

/** What a multipart request held. */
export interface UploadedForm {
  files: Upload[];
  fields: Record<string, string>;
}

/** The parts an endpoint takes. */
export interface FormSpec {
  /** File fields and the most files each may hold. */
  files: Readonly<Record<string, number>>;
  /** Text fields (each at most once). */
  fields: readonly string[];
}

/** Longest text field accepted, in bytes (numbers, labels, face choices). */
export const MAX_FIELD_BYTES = 1024;

/** Most characters of a client's value repeated in an error message. */
const ECHO_CHARS = 40;

/** `value` for an error message: cut to a few dozen characters, control characters escaped. */
export function clip(value: unknown): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const cut = s.length > ECHO_CHARS ? `${s.slice(0, ECHO_CHARS)}... (${s.length} characters)` : s;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** {@link clip} in single quotes. */
export function quote(value: unknown): string {
  return `'${clip(value)}'`;
}

/** "field 'a' (a.png)": a file part named for messages. */
export function partName(field: string, filename: string): string {
  return `field ${quote(field)} (${filename ? clip(filename) : 'no name'})`;
}

/** Content types accepted for an image part; the bytes are still decoded before use. */
function isImageType(mimetype: string): boolean {
  return mimetype.startsWith('image/') || mimetype === 'application/octet-stream';
}

/** "files a, b and fields threshold", for messages. */
function describe(spec: FormSpec): string {
  const files = Object.keys(spec.files);
  const text = spec.fields.length ? ` and field${spec.fields.length > 1 ? 's' : ''} ${spec.fields.join(', ')}` : '';
  return `file${files.length > 1 ? 's' : ''} ${files.join(', ')}${text}`;
}

/** Options of {@link readForm}. */
export interface ReadFormOptions {
  /** The parts this endpoint takes. */
  spec: FormSpec;
  /** Largest file, in bytes (the multipart plugin's fileSize limit). */
  maxBytes: number;
  /** The request's turn: every byte read is reserved from the shared upload budget. */
  turn: Turn;
}

/**
 * Reads every part of a multipart request as `spec` allows. Files over the cap,
 * unknown or repeated parts, non-image content types, long fields and
 * non-multipart requests become {@link ApiError}s; an upload budget the server
 * cannot spare now is a 503 (see RequestGate).
 */
export async function readForm(request: FastifyRequest, options: ReadFormOptions): Promise<UploadedForm> {
  const { spec, maxBytes, turn } = options;
  if (!request.isMultipart()) {
    throw new ApiError(415, 'NOT_MULTIPART', `send multipart/form-data with image files (got ${request.headers['content-type'] ? quote(request.headers['content-type']) : 'no content type'})`);
  }
  // A declared length is reserved whole before anything is read: a request the
  // budget cannot hold is refused at once, not after buffering most of it.
  const declared = Number(request.headers['content-length']);
  if (Number.isSafeInteger(declared) && declared > 0) turn.reserve(declared);
  let counted = 0;
  const count = (bytes: number): void => {
    counted += bytes;
    if (counted > turn.reserved) turn.reserve(counted - turn.reserved);
  };
  const files: Upload[] = [];
  const fields: Record<string, string> = {};
  const perField = new Map<string, number>();
  try {
    for await (const part of request.parts()) {
      const name = part.fieldname;
      if (part.type === 'file') {
        const most = Object.hasOwn(spec.files, name) ? spec.files[name] : 0;
        if (most === 0) {
          part.file.resume(); // its bytes are discarded as they come, never kept
          throw new ApiError(400, 'UNKNOWN_FIELD', `unexpected file field ${quote(name)}: this endpoint takes ${describe(spec)}`);
        }
        const n = (perField.get(name) ?? 0) + 1;
        perField.set(name, n);
        if (n > most) {
          part.file.resume();
          throw new ApiError(400, 'DUPLICATE_FIELD', most === 1 ? `field ${quote(name)} holds more than one file; send one` : `field ${quote(name)} holds more than ${most} files`);
        }
        if (!isImageType(part.mimetype)) {
          part.file.resume();
          throw new ApiError(415, 'NOT_AN_IMAGE', `${partName(name, part.filename)} has content type ${clip(part.mimetype)}; send an image (PNG, JPEG, WebP, ...)`);
        }
        const chunks: Buffer[] = [];
        for await (const chunk of part.file as AsyncIterable<Buffer>) {
          count(chunk.length);
          chunks.push(chunk);
        }
        if (part.file.truncated) throw new ApiError(413, 'TOO_LARGE', `an uploaded file is larger than the ${maxBytes}-byte limit`);
        files.push({ field: name, filename: part.filename, mimetype: part.mimetype, bytes: Buffer.concat(chunks) });
      } else {
        if (!spec.fields.includes(name)) throw new ApiError(400, 'UNKNOWN_FIELD', `unexpected field ${quote(name)}: this endpoint takes ${describe(spec)}`);
        if (name in fields) throw new ApiError(400, 'DUPLICATE_FIELD', `field ${quote(name)} is given more than once`);
        if (part.valueTruncated) throw new ApiError(413, 'FIELD_TOO_LARGE', `field ${quote(name)} is longer than ${MAX_FIELD_BYTES} bytes`);
        if (typeof part.value !== 'string') throw new ApiError(400, 'INVALID_FIELD', `field ${quote(name)} must be plain text, got ${quote(part.value)}`);
        count(Buffer.byteLength(part.value));
        fields[name] = part.value;
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
