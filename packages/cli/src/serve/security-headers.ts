/**
 * The security headers of every answer, and the page's Content-Security-Policy.
 *
 * Every answer: no MIME sniffing (a PNG or JSON answer is never run as a
 * script or page), no framing (clickjacking the verify button), no Referer
 * leaving the page, and Cross-Origin-Resource-Policy: same-origin (another
 * site cannot even embed the pictures or the model as a no-cors resource).
 * Answers other than the page get a policy that allows nothing, so a JSON or
 * PNG answer opened as a document runs nothing.
 *
 * The page's policy allows what it loads and nothing more: scripts from this
 * server (TF.js and the page, never a CDN) plus its inline scripts (the import
 * map, and the global TF.js's regenerator runtime assigns, which else falls
 * back to eval) by their hashes, WebAssembly compilation for TF.js's wasm backend
 * ('wasm-unsafe-eval'), pictures from this server and the blob: URLs of the
 * files picked, fetches to this server only; inline style attributes (the
 * map's legend colours) are the one relaxation.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** Headers set on every answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/** Sets {@link SECURITY_HEADERS} on `reply` (the page's CSP replaces the last one). */
export function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
}

/** The CSP hash source of each inline <script> of `html` ('sha256-...'). */
function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/.test(m[1])) continue;
    hashes.push(`'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/** The Content-Security-Policy of the page `html` (its inline scripts, the import map, allowed by hash). */
export function pagePolicy(html: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' ${inlineScriptHashes(html).join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
