// Where `scryp watch` hands a payment on (src/watch/deliver.ts), each against a real
// receiver on loopback: the webhook (a Bun.serve that checks the signature with the recipe
// of docs/PROTOCOL.md §6.13, written here from the document, not from the code), a shell
// command, and JSON lines; and the webhook URL as a person types it.

import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isScrypError } from '../src/errors.ts';
import { attempt_header, type Delivery, event_id_header, execSink, idempotency_header, jsonlSink, parseWebhookUrl, signature_header, webhookSignature, webhookSink } from '../src/watch/deliver.ts';

// Real sockets, timers or key stretching at its real cost: a busy CI machine can take several times
// the 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

const base = mkdtempSync(join(tmpdir(), 'scryp-watch-deliver-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const secret = 'a'.repeat(32) + '0123456789abcdef0123456789abcdef';
const delivery: Delivery = { body: '{"period":7,"index":2,"amount":5}', txid: 'ab'.repeat(32), eventId: '7:2', attempt: 3 };
const never = new AbortController().signal;

/** The documented recipe: split t= and v1=, HMAC-SHA256 keyed with the secret's text over "<t>.<body>", compare in constant time, refuse stale times. */
function verifies(header: string | null, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const fields = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=') as [string, string]));
  const t = Number(fields.t);
  const expected = createHmac('sha256', secret).update(`${fields.t}.${body}`).digest('hex');
  if (typeof fields.v1 !== 'string' || fields.v1.length !== expected.length || !Number.isInteger(t)) return false;
  return timingSafeEqual(Buffer.from(fields.v1), Buffer.from(expected)) && Math.abs(nowSeconds - t) <= toleranceSeconds;
}

describe('the webhook signature', () => {
  test('t=<seconds>,v1=<hex>: the recipe verifies it; another body, time, or secret does not', () => {
    const header = webhookSignature(secret, 1_800_000_000, delivery.body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifies(header, delivery.body, 1_800_000_100)).toBe(true);
    expect(verifies(header, delivery.body.replace('5', '6'), 1_800_000_100)).toBe(false);
    expect(verifies(header.replace('t=1800000000', 't=1800000001'), delivery.body, 1_800_000_100)).toBe(false);
    expect(verifies(header, delivery.body, 1_800_001_000)).toBe(false); // older than the receiver's tolerance: a replay
    expect(verifies(webhookSignature(secret.replace('a', 'b'), 1_800_000_000, delivery.body), delivery.body, 1_800_000_000)).toBe(false);
  });
});

describe('parseWebhookUrl', () => {
  test('http and https URLs with a host; anything else is WATCH_URL saying why', () => {
    expect(parseWebhookUrl('https://shop.example/scryp?x=1').href).toBe('https://shop.example/scryp?x=1');
    expect(parseWebhookUrl('http://127.0.0.1:8080/hook').port).toBe('8080');
    for (const [text, says] of [
      ['shop.example/hook', 'is not a URL'],
      ['ftp://shop.example/', 'ftp is not http or https'],
      ['file:///etc/passwd', 'file is not http or https'],
      ['https://user:pw@shop.example/', 'no user or password'],
      [`https://shop.example/${'x'.repeat(3000)}`, 'at most'],
    ] as const) {
      let caught: unknown = null;
      try {
        parseWebhookUrl(text);
      } catch (error) {
        caught = error;
      }
      expect([text, isScrypError(caught, 'WATCH_URL')]).toEqual([text, true]);
      expect((caught as Error).message).toContain(says);
    }
  });
});

describe('webhookSink against a real receiver', () => {
  const received: { headers: Headers; body: string }[] = [];
  let answer: 'ok' | 'error' | 'redirect' | 'slow' = 'ok';
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      received.push({ headers: request.headers, body: await request.text() });
      if (answer === 'error') return new Response('no', { status: 500 });
      if (answer === 'redirect') return Response.redirect('http://127.0.0.1:1/elsewhere', 302);
      if (answer === 'slow') await Bun.sleep(2_000);
      return new Response('ok', { status: 204 });
    },
  });
  afterAll(() => server.stop(true));
  const url = parseWebhookUrl(`http://127.0.0.1:${server.port}/hook`);

  test('a 2xx delivers; the headers carry the txid as idempotency key, the event id, the attempt, and a signature the recipe verifies', async () => {
    answer = 'ok';
    const sink = webhookSink(url, secret, 1_000);
    expect(await sink.deliver(delivery, never)).toEqual({ delivered: true });
    const got = received.at(-1)!;
    expect(got.body).toBe(delivery.body);
    expect(got.headers.get('content-type')).toBe('application/json');
    expect([got.headers.get(idempotency_header), got.headers.get(event_id_header), got.headers.get(attempt_header)]).toEqual([delivery.txid, '7:2', '3']);
    expect(verifies(got.headers.get(signature_header), got.body, Math.floor(Date.now() / 1000))).toBe(true);
  });

  test('a 500, a redirect (not followed), a receiver slower than the timeout, and no receiver at all each fail, saying why', async () => {
    const sink = webhookSink(url, secret, 300);
    answer = 'error';
    expect(await sink.deliver(delivery, never)).toEqual({ delivered: false, why: 'answered 500' });
    answer = 'redirect';
    const redirected = await sink.deliver(delivery, never);
    expect(redirected.delivered).toBe(false);
    expect(!redirected.delivered && redirected.why).toContain('answered 302 (a redirect is not followed');
    answer = 'slow';
    expect(await sink.deliver(delivery, never)).toEqual({ delivered: false, why: 'no answer within 300 ms' });
    const nobody = webhookSink(parseWebhookUrl('http://127.0.0.1:1/hook'), secret, 300);
    expect((await nobody.deliver(delivery, never)).delivered).toBe(false);
    answer = 'ok';
  });

  test('stopping the watcher abandons a delivery in flight at once', async () => {
    answer = 'slow';
    const stop = new AbortController();
    const pending = webhookSink(url, secret, 10_000).deliver(delivery, stop.signal);
    stop.abort();
    expect(await pending).toEqual({ delivered: false, why: 'stopped' });
    answer = 'ok';
  });
});

describe('execSink', () => {
  test('the JSON and a newline on stdin, the ids in the environment; exit 0 delivers, another exit fails', async () => {
    const out = join(base, 'exec-out');
    const sink = execSink(`cat > '${out}'; printf '%s %s %s' "$SCRYP_TXID" "$SCRYP_EVENT_ID" "$SCRYP_DELIVERY_ATTEMPT" >> '${out}'`, 5_000);
    expect(await sink.deliver(delivery, never)).toEqual({ delivered: true });
    expect(readFileSync(out, 'utf8')).toBe(`${delivery.body}\n${delivery.txid} 7:2 3`);
    expect(await execSink('exit 3', 5_000).deliver(delivery, never)).toEqual({ delivered: false, why: 'exited with 3' });
    expect(await execSink('true', 5_000).deliver(delivery, never)).toEqual({ delivered: true }); // does not read its stdin: still delivered
  });

  test('a command still running after the timeout is killed and counts as failed', async () => {
    expect(await execSink('exec sleep 30', 200).deliver(delivery, never)).toEqual({ delivered: false, why: 'still running after 200 ms: killed' });
  });
});

describe('jsonlSink', () => {
  test('one line per payment, delivered once written', async () => {
    const lines: string[] = [];
    const sink = jsonlSink(async (line) => lines.push(line));
    expect(await sink.deliver(delivery, never)).toEqual({ delivered: true });
    expect(lines).toEqual([`${delivery.body}\n`]);
  });
});
