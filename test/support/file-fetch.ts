/** A fetch over a bundle directory's files, for loading bundles the browser way in Node. */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** A fetch over the files of `dir` (what an HTTP server of the bundle directory answers). */
export function fileFetch(dir: string): typeof fetch {
  return (async (input: string | URL | Request) => {
    const name = String(input).replace(/^bundle:\/\/[^/]*\//, '');
    try {
      return new Response(await fs.readFile(path.join(dir, name)));
    } catch {
      return new Response('missing', { status: 404 });
    }
  }) as typeof fetch;
}
