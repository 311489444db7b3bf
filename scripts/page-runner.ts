/**
 * Running a built page in headless chromium: a static server for a folder on 127.0.0.1 (the
 * page fetches nothing from anywhere else) and Debian's chromium driven by playwright-core
 * (playwright cannot download its own browsers here). Used by the browser test, the browser
 * bench and `npm run example:browser -- --serve`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';

/** The chromium binary, or undefined where it is not installed (`apt-get install chromium`). */
export const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((f) => existsSync(f));

/** Flags Debian's chromium needs headless as root and without network (see shared FINDINGS). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm', // what WebAssembly.instantiateStreaming requires
  '.css': 'text/css',
  '.json': 'application/json',
};

/** A running static server. */
export interface StaticServer {
  /** Its base URL, `http://127.0.0.1:PORT`. */
  url: string;
  close(): Promise<void>;
}

/** Serves the files under `dir` on 127.0.0.1 (`port` 0: any free port); `/` is index.html. */
export function serveFolder(dir: string, port = 0): Promise<StaticServer> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${bound}`,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

/** Starts headless chromium; throws where it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
