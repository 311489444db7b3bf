/**
 * The request deadline, counted from when the connection opens.
 *
 * Node's own `requestTimeout` and `headersTimeout` count from a request's first
 * byte, and the idle timeout restarts with every byte: a client that connects,
 * waits just under the idle timeout, then sends one header byte every few
 * seconds held a connection for 40-60 s against a documented 30 s. Here every
 * connection must deliver a whole request (headers and body) within `ms` of
 * opening, and each next request on a kept-alive connection within `ms` of the
 * previous answer's end; else it gets a 408 (when no answer has started) and
 * is closed. Node's timeouts stay set as a second line.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';

const TIMED_OUT = JSON.stringify({ error: 'the request was not received in time; it is closed', code: 'REQUEST_TIMEOUT' });
const TIMED_OUT_RESPONSE = `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(TIMED_OUT)}\r\n\r\n${TIMED_OUT}`;

/** Arms the deadline on every connection of `server`. */
export function enforceRequestDeadline(server: http.Server, ms: number): void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const answers = new WeakMap<Socket, http.ServerResponse>();
  const arm = (socket: Socket): void => {
    clearTimeout(timers.get(socket));
    const timer = setTimeout(() => {
      if (socket.destroyed) return;
      // Once an answer has begun, a 408 written beside it would corrupt it: then the deadline only closes.
      if (!answers.get(socket)?.headersSent && socket.writable) socket.write(TIMED_OUT_RESPONSE);
      socket.destroy();
    }, ms);
    timer.unref();
    timers.set(socket, timer);
  };
  const disarm = (socket: Socket): void => clearTimeout(timers.get(socket));
  server.on('connection', (socket: Socket) => {
    arm(socket);
    socket.once('close', () => disarm(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    answers.set(socket, res);
    // The whole request is in at once when it has no body (as Node decides: no length, no chunked
    // encoding), or once its body has been read to the end.
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody || req.complete) disarm(socket);
    else req.once('end', () => disarm(socket));
    res.once('finish', () => {
      answers.delete(socket);
      if (!socket.destroyed) arm(socket);
    });
  });
}
