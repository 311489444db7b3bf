/**
 * The request deadline, counted from when the connection opens.
 *
 * Node's own `requestTimeout` and `headersTimeout` count from a request's first
 * byte, and the idle timeout restarts with every byte: a client that connects,
 * waits just under the idle timeout, then sends one header byte every few
 * seconds held a connection for 40-60 s against a documented 30 s. Here every
 * connection must deliver a whole request (headers and body) within `ms` of
 * opening, and each next request on a kept-alive connection within
 * `keepAliveMs + ms` of the previous answer's end (Node closes a kept-alive
 * connection that stays idle for `keepAliveMs`, as its Keep-Alive header tells
 * clients; a shorter deadline would close connections clients still trust);
 * else it is closed, after a 408 when its headers had come and no answer has
 * begun (as Node does: a connection that never sent whole headers is closed
 * without a word).
 *
 * The clock stops while the server itself holds a request back (waiting for a
 * turn, see load-limits.ts, its body not yet read): that wait is the server's,
 * and the handler timeout bounds it.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';

const TIMED_OUT = JSON.stringify({ error: 'the request was not received in time; the connection is closed', code: 'REQUEST_TIMEOUT' });
const TIMED_OUT_RESPONSE = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(TIMED_OUT)}\r\n\r\n${TIMED_OUT}`;

/** One connection's clock. */
interface Clock {
  timer?: NodeJS.Timeout;
  /** When it runs out (ms, performance.now()), while running. */
  due?: number;
  /** Time left, while paused. */
  left?: number;
  /** The answer being written, if any (a 408 is not written beside it). */
  answer?: http.ServerResponse;
}

/** The deadlines of one server's connections; see the module comment. */
export class RequestDeadline {
  private readonly clocks = new WeakMap<Socket, Clock>();

  /** Arms the deadline on every connection of `server`. */
  constructor(server: http.Server, ms: number, keepAliveMs: number) {
    server.on('connection', (socket: Socket) => {
      this.clocks.set(socket, {});
      this.start(socket, ms);
      socket.once('close', () => this.stop(socket));
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      const clock = this.clocks.get(socket);
      if (!clock) return;
      clock.answer = res;
      // The whole request is in at once when it has no body (as Node decides: no length, no chunked
      // encoding), or once its body has been read to the end.
      const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
      if (!hasBody || req.complete) this.stop(socket);
      else req.once('end', () => this.stop(socket));
      res.once('finish', () => {
        clock.answer = undefined;
        if (!socket.destroyed) this.start(socket, keepAliveMs + ms);
      });
    });
  }

  /** Stops the clock of `socket` while the server holds its request back; {@link resume} restarts it. */
  pause(socket: Socket): void {
    const clock = this.clocks.get(socket);
    if (!clock || clock.due === undefined) return; // not running: the request is already in
    clearTimeout(clock.timer);
    clock.left = Math.max(0, clock.due - performance.now());
    clock.due = undefined;
  }

  /** Restarts a paused clock with the time it had left. */
  resume(socket: Socket): void {
    const clock = this.clocks.get(socket);
    if (!clock || clock.left === undefined || socket.destroyed) return;
    const left = clock.left;
    clock.left = undefined;
    this.start(socket, left);
  }

  private start(socket: Socket, ms: number): void {
    const clock = this.clocks.get(socket);
    if (!clock) return;
    clearTimeout(clock.timer);
    clock.left = undefined;
    clock.due = performance.now() + ms;
    clock.timer = setTimeout(() => {
      if (socket.destroyed) return;
      // Once an answer has begun, a 408 written beside it would corrupt it: then the deadline only closes.
      if (clock.answer && !clock.answer.headersSent && socket.writable) socket.write(TIMED_OUT_RESPONSE);
      socket.destroy();
    }, ms);
    clock.timer.unref();
  }

  private stop(socket: Socket): void {
    const clock = this.clocks.get(socket);
    if (!clock) return;
    clearTimeout(clock.timer);
    clock.due = undefined;
    clock.left = undefined;
  }
}
