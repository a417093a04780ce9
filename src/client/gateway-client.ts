// A client of the HTTP gateway (PROTOCOL §12.1), for a browser, which cannot send UDP: the
// very request bytes UdpClient would send are POSTed to a server's /v1/request, and the
// body of the answer is the reply datagram, checked exactly as UdpClient checks one
// (transport.ts: request id and kind, this network's id, the signature, the server asked),
// padded again on TOO_SHORT, and asked again with a doubling wait when the gateway is slow,
// unreachable or refuses for a while (HTTP 429, 503). A reply that fails its checks is not
// asked for again: over HTTP nothing is lost on the way, so the gateway itself changed or
// replayed it, and the refusal says so in words (ReplyTimeout.why).
//
// A server is found by its key: a checked gateway record (gateways.ts), or the page's own
// origin once a signed INFO reply said whose it is.

import { datagram_bytes_max, gateway_attempt_timeout_ms_min } from '../constants.ts';
import { concat, toHex } from '../bytes.ts';
import { type Address, formatAddress } from '../ip.ts';
import { encodeRequest, type Reply, type Request } from './codec.ts';
import { type AskOptions, askRepadding, checkReplyAhead, type ClientTransport, ReplyTimeout, requestLengthOf, type RequestSpec } from './transport.ts';

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The body of `response` when it is at most `max` bytes, or null (read no further than max + 1). */
export async function bodyAtMost(response: Response, max: number): Promise<Uint8Array | null> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max || response.body === null) {
    await response.body?.cancel();
    return declared > max ? null : new Uint8Array(0);
  }
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > max) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  return concat(...parts);
}

export class GatewayClient implements ClientTransport {
  /** Server key (hex) to the base URL of its gateway, without a trailing slash. */
  private readonly gateways = new Map<string, string>();
  private nextId: number;
  private readonly fetch: Fetch;
  /** Replies that failed their checks, for tests and diagnostics. */
  rejectedReplies = 0;

  constructor(options: { fetch?: Fetch } = {}) {
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.nextId = crypto.getRandomValues(new Uint32Array(1))[0]!;
  }

  /** Where the server with this key answers HTTP. */
  useGateway(serverKey: Uint8Array, url: string): void {
    this.gateways.set(toHex(serverKey), url.replace(/\/+$/, ''));
  }

  gatewayOf(serverKey: Uint8Array): string | null {
    return this.gateways.get(toHex(serverKey)) ?? null;
  }

  /** Asks the server with `options.serverKey` at its gateway; a server without one is silent (ReplyTimeout). */
  ask(target: Address, spec: RequestSpec, options: AskOptions): Promise<Reply> {
    const url = options.serverKey === undefined ? null : this.gatewayOf(options.serverKey);
    if (url === null) return Promise.reject(new ReplyTimeout(`the server at ${formatAddress(target)}`, 0, 'no gateway of this server is known (it publishes none)'));
    return this.askAt(url, spec, options);
  }

  /** Asks the gateway at `url` itself (the page's own origin, before a reply says whose it is). */
  askAt(url: string, spec: RequestSpec, options: AskOptions): Promise<Reply> {
    return askRepadding(requestLengthOf(spec, options.serverCount), (length) => this.askOnce(url.replace(/\/+$/, ''), spec, length, options));
  }

  private async askOnce(url: string, spec: RequestSpec, length: number, options: AskOptions): Promise<Reply> {
    const requestId = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    const bytes = encodeRequest({ ...spec, requestId, length } as Request);
    const attempts = options.attempts ?? 5;
    let wait = Math.max(options.timeoutMs ?? 250, gateway_attempt_timeout_ms_min);
    let why = 'no answer in time';
    let attempt = 1;
    for (; attempt <= attempts; attempt++) {
      const started = Date.now();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), wait);
      try {
        const response = await this.fetch(`${url}/v1/request`, {
          method: 'POST',
          body: bytes as Uint8Array<ArrayBuffer>,
          headers: { 'content-type': 'application/octet-stream' },
          signal: controller.signal,
          cache: 'no-store',
          credentials: 'omit',
          redirect: 'error',
        });
        if (response.status === 200) {
          const body = await bodyAtMost(response, datagram_bytes_max);
          const checked = body === null ? { refused: `the gateway answered more than ${datagram_bytes_max} bytes, longer than any reply` } : await checkReplyAhead(body, { requestId, kind: spec.kind, options });
          if ('reply' in checked) return checked.reply;
          this.rejectedReplies++;
          throw new ReplyTimeout(url, attempt, checked.refused); // what a gateway changed, it changes again: not asked twice
        }
        await response.body?.cancel();
        why = `the gateway answers HTTP ${response.status}`;
        if (response.status !== 429 && response.status !== 503) throw new ReplyTimeout(url, attempt, why); // a refusal of the request itself: asking again changes nothing
      } catch (error) {
        if (error instanceof ReplyTimeout) throw error;
        why = controller.signal.aborted ? 'no answer in time' : 'the gateway cannot be reached';
      } finally {
        clearTimeout(timer);
      }
      if (attempt < attempts) await sleep(started + wait - Date.now()); // an error at once waits out its turn: no storm of retries
      wait *= 2;
    }
    throw new ReplyTimeout(url, attempt - 1, why);
  }
}
