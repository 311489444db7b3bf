/**
 * Who may talk to the server: the Host allow-list and the Origin check, run on
 * every request before routing.
 *
 * - Host: DNS rebinding points a name the attacker owns at 127.0.0.1, so a page
 *   of that name reaches this server as same-origin and reads its answers (the
 *   model, indexed pictures and their paths). Its requests carry that name in
 *   `Host`, so only known names are served: `localhost`, the names the server
 *   was told (`allowedHosts`: the CLI's --host and --allow-host), and IP
 *   address literals (a Host that is an address was typed as one: no DNS, so
 *   no rebinding). Anything else is 403.
 * - Origin: a page of another origin can still send "simple" requests (a
 *   multipart form POST) without reading the answer, making this server work
 *   for it. Browsers send `Origin` on every cross-origin request and on every
 *   POST, so a state-changing request whose Origin is another origin (or
 *   `null`, or whose Sec-Fetch-Site says cross-site or same-site) is 403. A
 *   request without Origin is not from a page (curl, scripts) and goes on.
 */
import net from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ApiError, quote } from './uploads.js';

/** Methods that only read; every other method must come from this server's own page. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header value ('[::1]:8080' -> '::1', 'Example.COM:80' -> 'example.com'), or null when it is malformed. */
export function hostnameOf(host: string): string | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(host.trim());
  if (!m) return null;
  return (m[1] ?? m[2]).toLowerCase();
}

/** Host names always served: the loopback name (addresses are served as addresses). */
const LOOPBACK_NAMES = ['localhost'];

/**
 * The check of {@link guardRequest}: a function answering whether the Host
 * name `hostname` is served, given the names the server was told.
 */
export function hostAllowList(allowedHosts: readonly string[] = []): (hostname: string) => boolean {
  const names = new Set([...LOOPBACK_NAMES, ...allowedHosts.map((h) => (hostnameOf(h) ?? h).toLowerCase())]);
  return (hostname) => net.isIP(hostname) !== 0 || names.has(hostname);
}

/**
 * Throws the 403 for a request this server must not answer: a Host not in the
 * allow-list, or a state-changing request from another origin.
 */
export function guardRequest(request: FastifyRequest, allowed: (hostname: string) => boolean): void {
  const host = request.headers.host;
  const hostname = host === undefined ? null : hostnameOf(host);
  if (hostname === null || !allowed(hostname)) {
    throw new ApiError(
      403,
      'HOST_NOT_ALLOWED',
      `this server does not answer requests for host ${host === undefined ? '(none)' : quote(host)}; open it as http://localhost:PORT or by its IP address, or start it with --allow-host NAME`,
    );
  }
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  if (origin !== undefined && !sameOrigin(origin, host as string)) {
    throw new ApiError(403, 'CROSS_ORIGIN', `${request.method} from another origin (${quote(origin)}) is refused: only this server's own page may send it`);
  }
  if (site === 'cross-site' || site === 'same-site') {
    throw new ApiError(403, 'CROSS_ORIGIN', `${request.method} from another site (Sec-Fetch-Site: ${quote(site)}) is refused: only this server's own page may send it`);
  }
}

/** Whether Origin header `origin` names the host the request was sent to ('null' and malformed origins never do). */
function sameOrigin(origin: string, host: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  // URL drops a default port (http://x:80 -> host 'x'); compare with the same normalisation of Host.
  let target: URL;
  try {
    target = new URL(`${url.protocol}//${host}`);
  } catch {
    return false;
  }
  return url.host === target.host;
}
