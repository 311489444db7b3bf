/**
 * A PostgreSQL server with the real pgvector extension for tests: PGlite
 * (Postgres compiled to wasm) with @electric-sql/pglite-pgvector, served over
 * TCP on 127.0.0.1 by @electric-sql/pglite-socket on a free port. Creating the
 * cluster takes several seconds: start one per test file.
 */
import net from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A running server and its connection URL. */
export interface PgliteServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts PGlite with pgvector behind a socket server on 127.0.0.1 (several connections, queries one at a time). */
export async function startPgliteServer(maxConnections = 8): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
