// Public API of src/serve: the HTTP server of `contrastive serve`. Re-exports only.
export {
  createServeApp,
  publicManifest,
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_MAX_QUEUED,
  type ServeOptions,
} from './server.js';
export { ApiError, type Upload } from './uploads.js';
export type { ServeFaces } from './faces.js';
