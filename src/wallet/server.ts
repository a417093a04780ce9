// The wallet's HTTP edge: Bun.serve on one address, the page's files from inside the
// executable, and the JSON API of api-types.ts. Each request passes the checks of
// security.ts first (Host, then token for /api/, then Origin for calls that change
// something); every response carries the security headers. Bad input becomes a 4xx
// answer with its code; anything else is a bug, logged with its stack, answered 500.
// Two tokens open the API: the wallet's own (the owner: everything) and the staff token
// (the staff link: the till alone, api-routes.ts staffMayCall).

import type { Server } from 'bun';
import { isScrypError, type ErrorCode } from '../errors.ts';
import type { Address } from '../ip.ts';
import type { Logger } from '../log.ts';
import type { ApiError, StaffView } from './api-types.ts';
import { parseBody } from './api-request.ts';
import { answerApi, type ApiRole } from './api-routes.ts';
import type { Assets } from './assets.ts';
import { changesState, hostAllowed, originAllowed, security_headers, tokenMatches } from './security.ts';
import type { WalletKeys } from './keys.ts';
import type { WalletService } from './service.ts';

export interface WalletServerOptions {
  readonly listen: Address;
  readonly token: string;
  /** The staff link's token: it opens the till alone. */
  readonly staffToken: string;
  /** The staff link, for the owner's Settings. */
  readonly staff: () => StaffView;
  readonly assets: Assets;
  readonly keys: WalletKeys;
  /** The open wallet, or null until the first screen or the unlock screen is done. */
  readonly service: () => WalletService | null;
  readonly log: Logger;
}

const httpStatusOf: Partial<Record<ErrorCode, number>> = {
  WALLET_TOKEN: 401,
  WALLET_HOST: 403,
  WALLET_ORIGIN: 403,
  WALLET_STAFF: 403,
  WALLET_LOCKED: 409,
};

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { ...security_headers, 'content-type': 'application/json; charset=utf-8' } });
}

function refusal(code: ErrorCode, message: string): Response {
  const body: ApiError = { error: { code, message } };
  return json(body, httpStatusOf[code] ?? 400);
}

/** The message of a ScrypError without its "CODE: " prefix (the page shows the code apart). */
function messageOf(error: { code: string; message: string }): string {
  return error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
}

export function startWalletServer(options: WalletServerOptions): Server<undefined> {
  const { listen, token, assets, keys, log } = options;

  async function api(request: Request, path: string, url: URL, role: ApiRole): Promise<Response> {
    const edge = { keys, service: options.service(), role, staff: options.staff };
    const answer = await answerApi(request.method, path, url.searchParams, async () => parseBody(await request.text()), edge);
    if ('json' in answer) return json(answer.json);
    return new Response(answer.csv, {
      headers: { ...security_headers, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="scryp-history.csv"' },
    });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const host = request.headers.get('host');
    if (!hostAllowed(host, listen)) {
      return refusal('WALLET_HOST', `this wallet answers only at ${listen.host}:${listen.port}; open the address that scryp wallet printed`);
    }
    const path = url.pathname;
    if (!path.startsWith('/api/')) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405, headers: security_headers });
      const asset = assets.get(path);
      if (asset === undefined) return new Response('not found', { status: 404, headers: { ...security_headers, 'content-type': 'text/plain; charset=utf-8' } });
      return new Response(asset.bytes, { headers: { ...security_headers, 'content-type': asset.contentType } });
    }
    const authorization = request.headers.get('authorization');
    const role: ApiRole | null = tokenMatches(authorization, token) ? 'owner' : tokenMatches(authorization, options.staffToken) ? 'staff' : null;
    if (role === null) {
      return refusal('WALLET_TOKEN', 'this call needs the wallet’s token: open the full address that scryp wallet printed (the part after # is the token)');
    }
    if (changesState(request.method) && !originAllowed(request.headers.get('origin'), host!)) {
      return refusal('WALLET_ORIGIN', 'this call must come from the wallet’s own page; another site cannot act for you');
    }
    try {
      return await api(request, path, url, role);
    } catch (error) {
      if (isScrypError(error)) return refusal(error.code, messageOf(error));
      log.error(`${request.method} ${path}: ${(error as Error).stack ?? String(error)}`);
      return json({ error: { code: 'INTERNAL', message: 'the wallet failed to answer; its log says why' } }, 500);
    }
  }

  return Bun.serve({
    hostname: listen.host,
    port: listen.port,
    development: false,
    // Said explicitly: with development: false, Bun 1.4 binds with SO_REUSEPORT, and a second
    // wallet on the same port would share it (and half the requests) instead of failing.
    reusePort: false,
    fetch: handle,
    error(error) {
      log.error(`wallet page: ${error.stack ?? error.message}`);
      return new Response('internal error', { status: 500, headers: security_headers });
    },
  });
}
