// Module-resolution hooks (node:module register()) that append every file URL the
// ES module loader resolves to the file named by initialize's `data.file`: which
// packages an import loads. Plain .mjs, as hooks run in their own thread.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) appendFileSync(file, result.url + '\n');
  return result;
}
