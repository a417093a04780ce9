// The HTTP gateway (docs/PROTOCOL.md §6.12): browsers and phones cannot send UDP, so a
// server started with `--http HOST:PORT` also answers over HTTP, with Bun.serve. The
// gateway adds framing, limits and CORS, never rules: a request's bytes go to the same
// handler as a datagram's (client-requests.ts), and the reply is the same signed bytes.
//
//   POST /v1/request    body: one client request (128..1232 bytes)   200 octet-stream: the reply datagram
//                       too short 400, too long 413 (declared or read: never buffered past 1232),
//                       slower than gateway_body_deadline_ms 408, no reply over UDP 400, rate 429
//   GET  /v1/network    the network file (JSON)
//   GET  /v1/gateways   the gateway records of the servers in force (JSON, PROTOCOL §3.11)
//   GET  /v1/events     Server-Sent Events of one account's committed payments (events.ts, §6.16)
//   OPTIONS /v1/*       the CORS preflight (Content-Type: application/octet-stream)
//   GET  /, page paths  the pocket wallet, when the node is given pages; else 404
//
// Every /v1/ answer carries `Access-Control-Allow-Origin: *` and never credentials: each
// request is public reading or a payment already signed. Each refusal names its code
// (GATEWAY_*, docs/ERRORS.md) in a one-line text body. Every answer is counted by path
// and status (`scryp_gateway_requests_total`).

import type { Server } from 'bun';
import { readFileSync } from 'node:fs';
import {
  datagram_bytes_max,
  events_keepalive_ms,
  events_stream_buffer_bytes_max,
  events_streams_max,
  events_streams_per_source_max,
  gateway_body_backstop_bytes,
  gateway_body_deadline_ms,
  gateway_connection_idle_ms,
  gateway_preflight_cache_s,
  request_bytes_min,
} from '../constants.ts';
import { concat } from '../bytes.ts';
import { type ErrorCode, isScrypError, ScrypError } from '../errors.ts';
import { plainIPv4 } from '../ip.ts';
import type { Logger } from '../log.ts';
import type { Answer, Source } from './client-requests.ts';
import { type EventSink, type EventStreams, parseCursor, type Stream } from './events.ts';
import type { HistoryCursor } from '../ledger/store.ts';
import { parseAccount } from '../address.ts';
import type { ListenAddress } from './listen-address.ts';

/** The wallet page and its files: a response for a path it serves (GET or HEAD), or null. */
export type PageHandler = (path: string, request: Request) => Response | Promise<Response> | null;

export interface GatewayConfig {
  readonly address: ListenAddress;
  /** PEM files: served over HTTPS when given. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** A reverse proxy's address: its requests name their source in X-Forwarded-For (the last entry). */
  readonly trustedProxy?: string;
  /** Serves `/` and the page's other paths (the pocket wallet); without it they are 404. */
  readonly pages?: PageHandler;
  /** Where the world reaches this gateway (--http-public): this server signs a gateway record of it. */
  readonly publicUrl?: string;
  /** A request body must arrive whole within this (default gateway_body_deadline_ms; tests shorten it). */
  readonly bodyDeadlineMs?: number;
}

/** What the gateway asks of the node. */
export interface GatewayNode {
  /** One client request, as the UDP edge hands it over (client-requests.ts, edge `http`). */
  handle(data: Uint8Array, source: Source, deliver: (answer: Answer) => void): void;
  /** The network file as JSON text. */
  networkJson(): string;
  /** The gateway records of the servers in force, as JSON text. */
  gatewaysJson(): string;
  /** The event streams (events.ts). */
  readonly events: EventStreams;
  /** Takes one request's worth of the source's rate (the same budget as UDP); false when it is spent. */
  admit(source: Source): boolean;
  count(name: string): void;
  readonly log: Logger;
}

/** The counter of one answer: `http_request <path> <status>` (metrics.ts reads them as scryp_gateway_requests_total). */
export const gateway_request_counter_prefix = 'http_request ';

/** The paths the gateway names in its counters; anything else is `other` (a label per path a scanner tries would grow without bound). */
const v1_paths = ['/v1/request', '/v1/network', '/v1/gateways', '/v1/events'] as const;
type V1Path = (typeof v1_paths)[number];

const allowed: Record<V1Path, string> = {
  '/v1/request': 'POST, OPTIONS',
  '/v1/network': 'GET, HEAD, OPTIONS',
  '/v1/gateways': 'GET, HEAD, OPTIONS',
  '/v1/events': 'GET, OPTIONS',
};

const cors = { 'access-control-allow-origin': '*' } as const;

function isV1Path(path: string): path is V1Path {
  return (v1_paths as readonly string[]).includes(path);
}

/** A refusal: its code first, then what to do, as one line of text. */
function refusal(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${code}: ${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}

/**
 * Where a request comes from: the peer's address, or, when the peer is the trusted
 * reverse proxy, the last address of its X-Forwarded-For (the one it appended; the ones
 * before it the client could have written). The port is the connection's.
 */
export function sourceOf(peer: { address: string; port: number }, forwardedFor: string | null, trustedProxy: string | undefined): Source {
  const host = plainIPv4(peer.address);
  if (trustedProxy === undefined || host !== trustedProxy || forwardedFor === null) return { host, port: peer.port };
  const last = forwardedFor.split(',').pop()?.trim() ?? '';
  return { host: last === '' ? host : plainIPv4(last), port: peer.port };
}

type Body = { readonly bytes: Uint8Array } | { readonly refused: Response };

/**
 * The body, read whole within the deadline and never past datagram_bytes_max: a declared
 * length is checked before a byte is read; a chunked body is read a chunk at a time and
 * refused at the first byte beyond.
 */
async function readBody(request: Request, deadlineMs: number): Promise<Body> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    const length = Number(declared);
    if (length > datagram_bytes_max) return { refused: tooLong(`${length} bytes declared`) };
    if (length < request_bytes_min) return { refused: tooShort(length) };
  }
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
  // A declared length is at most a datagram by now: Bun reads exactly that much, natively.
  const reader = declared !== null || request.body === null ? null : request.body.getReader();
  try {
    const read = declared !== null ? request.bytes() : reader === null ? Promise.resolve(new Uint8Array(0)) : readCapped(reader);
    const result = await Promise.race([read, deadline]);
    if (result === 'late') {
      void reader?.cancel().catch(() => {});
      return { refused: refusal(408, 'GATEWAY_BODY_DEADLINE', `the body did not arrive whole within ${deadlineMs} ms`, { ...cors, connection: 'close' }) };
    }
    if (result === null) return { refused: tooLong('more than that arrived') };
    if (result.length < request_bytes_min) return { refused: tooShort(result.length) };
    return { bytes: result };
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

/** The whole stream, or null as soon as it holds more than a datagram (the rest is never read). */
async function readCapped(reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> }): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || value === undefined) break;
    length += value.length;
    if (length > datagram_bytes_max) {
      void reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : concat(...chunks);
}

function tooLong(what: string): Response {
  return refusal(413, 'GATEWAY_BODY_SIZE', `a request is at most ${datagram_bytes_max} bytes; ${what}`, { ...cors, connection: 'close' });
}

function tooShort(length: number): Response {
  return refusal(400, 'GATEWAY_BODY_SIZE', `a request is at least ${request_bytes_min} bytes (pad it with zeros); got ${length}`, cors);
}

/** The HTTP answer to a request's outcome: the reply bytes, or why there are none. */
function answerResponse(answer: Answer): Response {
  if (answer.reply !== null) return new Response(answer.reply, { headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', ...cors } });
  if (answer.dropped === 'rate_limited') return refusal(429, 'GATEWAY_RATE_LIMITED', 'this source sends more requests than its rate: slow down', cors);
  return refusal(400, 'GATEWAY_NO_REPLY', `the UDP port would not answer these bytes either (${answer.dropped})`, cors);
}

function preflight(path: V1Path): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...cors,
      'access-control-allow-methods': allowed[path],
      // An EventSource that reconnects sends Last-Event-ID (not a header browsers send unasked).
      'access-control-allow-headers': path === '/v1/events' ? 'Content-Type, Last-Event-ID' : 'Content-Type',
      'access-control-max-age': String(gateway_preflight_cache_s),
    },
  });
}

function json(text: string, method: string): Response {
  return new Response(method === 'HEAD' ? null : text, { headers: { 'content-type': 'application/json', 'cache-control': 'no-cache', ...cors } });
}

/**
 * GET /v1/events: a Server-Sent Events response fed by the node's event streams. What
 * waits for the reader is bounded (events_stream_buffer_bytes_max): the ReadableStream's
 * queue is measured in bytes, Bun drains it as the connection takes bytes, and a reader
 * that falls behind is cut (events.ts). The reader's disconnect cancels the stream.
 */
function eventsResponse(request: Request, server: Server<undefined>, config: GatewayConfig, node: GatewayNode): Response {
  const query = new URL(request.url).searchParams;
  let account: Uint8Array;
  let cursor: HistoryCursor | null;
  try {
    account = parseAccount(query.get('account') ?? '', 'account');
    const lastEventId = request.headers.get('last-event-id');
    const afterText = query.get('after');
    // A reconnecting EventSource keeps its URL (with the first `after`) and says where it got to in Last-Event-ID.
    cursor = lastEventId !== null && lastEventId !== '' ? parseCursor(lastEventId, 'Last-Event-ID') : afterText !== null ? parseCursor(afterText, 'after') : null;
  } catch (error) {
    if (!isScrypError(error)) throw error;
    return refusal(400, error.code, error.message.slice(error.code.length + 2), cors);
  }
  const peer = server.requestIP(request) ?? { address: '0.0.0.0', port: 0 };
  const source = sourceOf(peer, request.headers.get('x-forwarded-for'), config.trustedProxy);
  if (!node.admit(source)) return refusal(429, 'GATEWAY_RATE_LIMITED', 'this source sends more requests than its rate: slow down', cors);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let stream: Stream | null = null;
  const sink: EventSink = {
    room: () => controller.desiredSize ?? 0,
    write: (bytes) => controller.enqueue(bytes),
    end: () => {
      try {
        controller.close();
      } catch {
        // closed already: the reader went away
      }
    },
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => {
        if (stream !== null) node.events.pump(stream);
      },
      cancel: () => {
        if (stream !== null) node.events.close(stream);
      },
    },
    { highWaterMark: events_stream_buffer_bytes_max, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  const opened = node.events.open(account, cursor, source.host, sink);
  if ('refused' in opened) {
    void body.cancel();
    const message = opened.status === 429 ? `this source holds ${events_streams_per_source_max} event streams already: close one` : `this server serves ${events_streams_max} event streams already: ask another server's gateway`;
    return refusal(opened.status, opened.refused, message, opened.status === 503 ? { ...cors, 'retry-after': '10' } : cors);
  }
  stream = opened;
  // The stream is kept alive by its events and comments, not closed as an idle connection.
  server.timeout(request, 0);
  return new Response(body, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', ...cors },
  });
}

export class Gateway {
  private constructor(
    readonly server: Server<undefined>,
    readonly url: string,
    private readonly keepAlive: ReturnType<typeof setInterval>,
    private readonly events: EventStreams,
  ) {}

  get port(): number {
    return this.server.port ?? 0;
  }

  static serve(config: GatewayConfig, node: GatewayNode): Gateway {
    const tls = config.tls === undefined ? undefined : readTls(config.tls);
    const route = async (request: Request, server: Server<undefined>): Promise<{ label: string; response: Response }> => {
      const path = pathOf(request.url);
      const method = request.method;
      if (path.startsWith('/v1/')) {
        if (!isV1Path(path)) return { label: 'other', response: refusal(404, 'GATEWAY_NOT_FOUND', `no ${path} here: ${v1_paths.join(', ')}`, cors) };
        if (method === 'OPTIONS') return { label: path, response: preflight(path) };
        if (!allowed[path].split(', ').includes(method)) {
          return { label: path, response: refusal(405, 'GATEWAY_METHOD', `${path} takes ${allowed[path]}, not ${method}`, { ...cors, allow: allowed[path] }) };
        }
        switch (path) {
          case '/v1/network':
            return { label: path, response: json(node.networkJson(), method) };
          case '/v1/gateways':
            return { label: path, response: json(node.gatewaysJson(), method) };
          case '/v1/events':
            return { label: path, response: eventsResponse(request, server, config, node) };
          case '/v1/request': {
            const body = await readBody(request, config.bodyDeadlineMs ?? gateway_body_deadline_ms);
            if ('refused' in body) return { label: path, response: body.refused };
            const peer = server.requestIP(request) ?? { address: '0.0.0.0', port: 0 };
            const source = sourceOf(peer, request.headers.get('x-forwarded-for'), config.trustedProxy);
            const answer = await new Promise<Answer>((resolve) => node.handle(body.bytes, source, resolve));
            return { label: path, response: answerResponse(answer) };
          }
        }
      }
      if (method !== 'GET' && method !== 'HEAD') return { label: 'other', response: refusal(405, 'GATEWAY_METHOD', `pages take GET and HEAD, not ${method}`, { allow: 'GET, HEAD' }) };
      const page = config.pages?.(path, request) ?? null;
      if (page !== null) return { label: 'page', response: await page };
      return { label: 'other', response: refusal(404, 'GATEWAY_NOT_FOUND', `no ${path} here: the gateway serves ${v1_paths.join(', ')}`) };
    };
    let server: Server<undefined>;
    try {
      server = Bun.serve({
        hostname: config.address.host,
        port: config.address.port,
        ...(tls === undefined ? {} : { tls }),
        development: false,
        maxRequestBodySize: gateway_body_backstop_bytes,
        idleTimeout: gateway_connection_idle_ms / 1000,
        async fetch(request, server) {
          const { label, response } = await route(request, server);
          node.count(`${gateway_request_counter_prefix}${label} ${response.status}`);
          return response;
        },
        error(error) {
          node.log.error(`gateway: ${error.stack ?? error.message}`);
          node.count(`${gateway_request_counter_prefix}other 500`);
          return new Response('internal error\n', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8', ...cors } });
        },
      });
    } catch (error) {
      const message = (error as Error).message;
      if (tls !== undefined && /cert|key|pem|ssl|tls/i.test(message)) throw new ScrypError('GATEWAY_TLS', `the certificate ${config.tls!.certFile} or key ${config.tls!.keyFile} cannot be used: ${message}`);
      throw new ScrypError('BAD_ADDRESS', `cannot serve the gateway on ${config.address.host}:${config.address.port}: ${message}`);
    }
    const host = config.address.host.includes(':') ? `[${config.address.host}]` : config.address.host;
    const keepAlive = setInterval(() => node.events.keepAlive(), events_keepalive_ms);
    return new Gateway(server, `${tls === undefined ? 'http' : 'https'}://${host}:${server.port}/`, keepAlive, node.events);
  }

  stop(): void {
    clearInterval(this.keepAlive);
    this.events.closeAll();
    void this.server.stop(true);
  }
}

/** The path of a request URL, without parsing the whole URL (every request asks). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  if (start < 0) return '/';
  let end = url.length;
  for (const mark of ['?', '#']) {
    const at = url.indexOf(mark, start);
    if (at >= 0 && at < end) end = at;
  }
  return url.slice(start, end);
}

function readTls(files: { certFile: string; keyFile: string }): { cert: string; key: string } {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new ScrypError('GATEWAY_TLS', `cannot read the ${what} ${file}: ${(error as Error).message}`);
    }
  };
  const cert = read(files.certFile, 'certificate (--http-tls-cert)');
  const key = read(files.keyFile, 'key (--http-tls-key)');
  if (!cert.includes('-----BEGIN')) throw new ScrypError('GATEWAY_TLS', `${files.certFile} is not a PEM certificate`);
  if (!key.includes('-----BEGIN')) throw new ScrypError('GATEWAY_TLS', `${files.keyFile} is not a PEM key`);
  return { cert, key };
}
