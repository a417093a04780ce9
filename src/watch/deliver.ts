// Where `scryp watch` hands a payment on (the thin edge; docs/PROTOCOL.md §6.13):
//
//   webhook  POST URL, the JSON as body, headers:
//              Content-Type: application/json
//              Idempotency-Key: <txid>            the same on every attempt: dedup by it
//              Scryp-Event-Id: <period>:<index>
//              Scryp-Delivery-Attempt: <n>        1, 2, … for this payment in this run
//              Scryp-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//            delivered when the answer is 2xx (redirects are not followed);
//   exec     `sh -c CMD` (cmd /c on Windows), the JSON and a newline on stdin, env
//            SCRYP_TXID, SCRYP_EVENT_ID, SCRYP_DELIVERY_ATTEMPT; delivered when it exits 0;
//   jsonl    the JSON and a newline on stdout; delivered once written.
//
// An attempt that fails, or takes longer than the timeout, is made again later
// (timing.ts); the watcher never goes past a payment before it is delivered.

import { createHmac } from 'node:crypto';
import packageJson from '../../package.json';
import { watch_webhook_url_chars_max } from '../constants.ts';
import { fail } from '../errors.ts';

export interface Delivery {
  /** The JSON text handed on. */
  readonly body: string;
  readonly txid: string;
  /** PERIOD:INDEX */
  readonly eventId: string;
  readonly attempt: number;
}

export type Outcome = { readonly delivered: true } | { readonly delivered: false; readonly why: string };

export interface Sink {
  /** What it delivers to, for the logs. */
  readonly name: string;
  deliver(delivery: Delivery, signal: AbortSignal): Promise<Outcome>;
}

export const signature_header = 'Scryp-Signature';
export const idempotency_header = 'Idempotency-Key';
export const event_id_header = 'Scryp-Event-Id';
export const attempt_header = 'Scryp-Delivery-Attempt';

/** The Scryp-Signature value: `t=<seconds>,v1=<hex HMAC-SHA256 keyed with the secret's text, over "<t>.<body>">`. */
export function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** A webhook URL as a person gives it: http or https, with a host, no credentials. */
export function parseWebhookUrl(text: string): URL {
  if (text.length > watch_webhook_url_chars_max) fail('WATCH_URL', `--webhook: ${text.length} characters, at most ${watch_webhook_url_chars_max}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('WATCH_URL', `--webhook: ${JSON.stringify(text)} is not a URL; expected http://HOST[:PORT]/PATH or https://…`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('WATCH_URL', `--webhook: ${url.protocol.replace(/:$/, '')} is not http or https`);
  if (url.hostname === '') fail('WATCH_URL', '--webhook: the URL names no host');
  if (url.username !== '' || url.password !== '') fail('WATCH_URL', '--webhook: no user or password in the URL (they would show in logs); the receiver checks the Scryp-Signature header instead');
  return url;
}

const timeoutOf = (timeoutMs: number, signal: AbortSignal): AbortSignal => AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);

export function webhookSink(url: URL, secret: string, timeoutMs: number, clock: () => number = Date.now): Sink {
  const target = url.href;
  return {
    name: `webhook ${url.origin}${url.pathname}`,
    async deliver(delivery, signal) {
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': `scryp-watch/${packageJson.version}`,
        [idempotency_header]: delivery.txid,
        [event_id_header]: delivery.eventId,
        [attempt_header]: String(delivery.attempt),
        [signature_header]: webhookSignature(secret, Math.floor(clock() / 1000), delivery.body),
      };
      try {
        const response = await fetch(target, { method: 'POST', headers, body: delivery.body, redirect: 'manual', signal: timeoutOf(timeoutMs, signal) });
        await response.body?.cancel(); // what it says is not read: only the status counts
        if (response.status >= 200 && response.status < 300) return { delivered: true };
        return { delivered: false, why: `answered ${response.status}${response.status >= 300 && response.status < 400 ? ' (a redirect is not followed: give the final URL)' : ''}` };
      } catch (error) {
        if (signal.aborted) return { delivered: false, why: 'stopped' };
        const name = (error as Error).name;
        return { delivered: false, why: name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : (error as Error).message };
      }
    },
  };
}

export function execSink(command: string, timeoutMs: number): Sink {
  const shell = process.platform === 'win32' ? ['cmd', '/c', command] : ['sh', '-c', command];
  return {
    name: `command ${JSON.stringify(command)}`,
    async deliver(delivery, signal) {
      const child = Bun.spawn(shell, {
        stdin: 'pipe',
        stdout: 'inherit',
        stderr: 'inherit',
        env: { ...process.env, SCRYP_TXID: delivery.txid, SCRYP_EVENT_ID: delivery.eventId, SCRYP_DELIVERY_ATTEMPT: String(delivery.attempt) },
      });
      const stop = timeoutOf(timeoutMs, signal);
      const kill = () => child.kill('SIGKILL');
      stop.addEventListener('abort', kill, { once: true });
      try {
        try {
          child.stdin.write(`${delivery.body}\n`);
          await child.stdin.end();
        } catch {
          // a command that does not read its stdin: its exit code still decides
        }
        const code = await child.exited;
        if (stop.aborted) return { delivered: false, why: signal.aborted ? 'stopped' : `still running after ${timeoutMs} ms: killed` };
        return code === 0 ? { delivered: true } : { delivered: false, why: `exited with ${code}` };
      } finally {
        stop.removeEventListener('abort', kill);
      }
    },
  };
}

/** Each payment as one line on stdout; `write` resolves once the line is handed to the pipe or file. */
export function jsonlSink(write: (line: string) => Promise<unknown> = (line) => Bun.write(Bun.stdout, line)): Sink {
  return {
    name: 'stdout (JSON lines)',
    async deliver(delivery) {
      await write(`${delivery.body}\n`);
      return { delivered: true };
    },
  };
}
