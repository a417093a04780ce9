// The wallet page's defences, as pure functions of a request's headers: the HTTP edge
// (server.ts) asks them in this order, and each refusal has its own code.
//
//   Host is the listen address (or localhost on loopback)  else 403 WALLET_HOST    (DNS rebinding)
//   /api/*: Authorization: Bearer <token>, compared in
//           constant time                                   else 401 WALLET_TOKEN   (other local users, other sites)
//   POST/PUT/DELETE: Origin is http://<that Host>           else 403 WALLET_ORIGIN  (CSRF)
//
// The token travels in the URL's fragment, which browsers never send to a server nor put
// in a Referer; the page reads it and sends it in a header on every call. Every response
// carries a strict Content-Security-Policy, and the page writes what it shows as text.

import { createHash, timingSafeEqual } from 'node:crypto';
import { wallet_token_bytes } from '../constants.ts';
import type { Address } from '../ip.ts';

/** A new secret for one run of the wallet: base64url of `wallet_token_bytes` random bytes. */
export function newToken(random: Uint8Array = crypto.getRandomValues(new Uint8Array(wallet_token_bytes))): string {
  return Buffer.from(random).toString('base64url');
}

/**
 * Whether an Authorization header carries the token. Both sides are hashed first, so the
 * comparison takes the same time whatever the length or the first wrong character.
 */
export function tokenMatches(authorization: string | null, token: string): boolean {
  const given = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

export function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Whether a Host header names this wallet. On a loopback address, `localhost:PORT` too.
 * Listening on 0.0.0.0, any IPv4 literal with the port: the machine's own addresses are
 * not known here, and DNS rebinding needs a name, never a literal.
 */
export function hostAllowed(host: string | null, listen: Address): boolean {
  if (host === null) return false;
  const match = /^([^:]+):(\d+)$/.exec(host.toLowerCase());
  if (match === null || Number(match[2]) !== listen.port) return false;
  const name = match[1]!;
  if (name === listen.host) return true;
  if (name === 'localhost' && isLoopback(listen.host)) return true;
  return listen.host === '0.0.0.0' && /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** Whether a state-changing call comes from the wallet's own page: Origin is http://<Host>. */
export function originAllowed(origin: string | null, host: string): boolean {
  return origin !== null && origin.toLowerCase() === `http://${host.toLowerCase()}`;
}

export function changesState(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

export const content_security_policy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response, the page and the API alike. */
export const security_headers: Readonly<Record<string, string>> = {
  'content-security-policy': content_security_policy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};
