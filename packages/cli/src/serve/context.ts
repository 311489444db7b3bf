/** What the routes of a bundle or face server share (server.ts makes it; faces.ts uses it). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestGate, Turn } from './load-limits.js';
import type { FormSpec, readForm } from './uploads.js';

/** A route handler that runs in a turn of the gate (see load-limits.ts). */
export type HeavyHandler<R> = (request: FastifyRequest, reply: FastifyReply, turn: Turn) => Promise<R>;

/** What the routes of a bundle or face server share: the limits, the gate, the form reader. */
export interface ServeContext {
  maxBytes: number;
  maxFiles: number;
  gate: RequestGate;
  /** Wraps a handler so that it waits for a turn and gives it back when its work has ended. */
  heavy<R>(handler: HeavyHandler<R>): (request: FastifyRequest, reply: FastifyReply) => Promise<R>;
  /** Reads a multipart request as `spec` allows, counting its bytes against the shared budget. */
  form(request: FastifyRequest, turn: Turn, spec: FormSpec): ReturnType<typeof readForm>;
}

