// scryp watch --dir DIR (--webhook URL | --exec CMD | --jsonl): a shop hears that money
// arrived. Follows an account on a quorum of the servers in force and hands each
// committed payment on once a quorum lists it, oldest first, keeping its position in DIR
// (src/watch/: follow.ts decides, watcher.ts runs the rounds, deliver.ts hands on).

import { mkdirSync } from 'node:fs';
import { defineCommand } from 'citty';
import { UdpClient } from '../client/udp-client.ts';
import { watch_delivery_timeout_ms_default, watch_delivery_timeout_ms_max } from '../constants.ts';
import { fail, isScrypError } from '../errors.ts';
import { logger } from '../log.ts';
import { seedFileAccount, seedFileState, seedPath } from '../seed.ts';
import { execSink, jsonlSink, parseWebhookUrl, type Sink, webhookSink } from '../watch/deliver.ts';
import type { Cursor } from '../watch/follow.ts';
import { loadOrCreateSecret } from '../watch/secret.ts';
import { watch } from '../watch/watcher.ts';
import { accountArg, action, chooseNetwork, cursorArg, dirArg, integerArg, logArgs, networkArg, setupLogs, UsageError } from './common.ts';

export const watchCommand = defineCommand({
  meta: {
    name: 'watch',
    description: [
      'Follow an account (DIR\'s wallet by default) on a quorum of the servers and hand on each committed payment once a quorum of them lists it, oldest first:',
      'a webhook POST of JSON (signed: Scryp-Signature: t=SECONDS,v1=HMAC-SHA256 of "SECONDS.BODY" keyed with the text of DIR/webhook-secret, made on first use; Idempotency-Key: the txid),',
      'a command (--exec: the JSON on stdin, exit 0 = delivered), or a JSON line on stdout (--jsonl).',
      'A delivery that fails is retried with backoff until it succeeds. The position is kept in DIR/watch-position.json after each delivery,',
      'so a restart (even after kill -9) loses nothing and repeats at most the one payment in flight: dedup by txid. Void payments are not handed on.',
      'A first run starts now (nothing of the past) unless --from says otherwise. See docs/PROTOCOL.md §6.13.',
    ].join(' '),
  },
  args: {
    dir: { type: 'string', description: 'where the position (watch-position.json) and the webhook secret (webhook-secret) are kept; its .seed, if any, names the account to watch', required: true, valueHint: 'DIR' },
    webhook: { type: 'string', description: 'POST each payment to URL (http or https), signed; a 2xx answer delivers it', valueHint: 'URL' },
    exec: { type: 'string', description: 'run CMD with sh -c for each payment, its JSON on stdin (env SCRYP_TXID, SCRYP_EVENT_ID, SCRYP_DELIVERY_ATTEMPT); exit 0 delivers it', valueHint: 'CMD' },
    jsonl: { type: 'boolean', description: 'print each payment as one line of JSON on stdout', default: false },
    account: { type: 'string', description: 'the account to watch: an address (scryp1…) or 64 hex characters (default: DIR/.seed\'s)', valueHint: 'ACCOUNT' },
    from: { type: 'string', description: 'where a first run starts: now (the default: nothing of the past), or PERIOD:INDEX (that payment and every later one); once DIR holds a position, it resumes there', valueHint: 'now|PERIOD:INDEX' },
    'timeout-ms': { type: 'string', description: `how long one webhook POST or command may take before the attempt counts as failed (default ${watch_delivery_timeout_ms_default})`, valueHint: 'MS' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const dir = dirArg(args.dir);
      const chosen = [args.webhook !== undefined, args.exec !== undefined, args.jsonl === true].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('give exactly one of --webhook URL, --exec CMD or --jsonl: where each payment is handed on');
      const url = args.webhook === undefined ? null : asUsage(() => parseWebhookUrl(args.webhook!));
      if (args.exec !== undefined && args.exec.trim() === '') throw new UsageError('--exec: the command is empty');
      const timeoutMs = args['timeout-ms'] === undefined ? watch_delivery_timeout_ms_default : integerArg(args['timeout-ms'], '--timeout-ms', 1, watch_delivery_timeout_ms_max);
      const from: 'now' | Cursor = args.from === undefined || args.from === 'now' ? 'now' : cursorArg(args.from, '--from', 'now, or PERIOD:INDEX');
      const network = chooseNetwork(args.network);
      const account = args.account !== undefined ? accountArg(args.account, '--account') : asUsage(() => accountOfDir(dir));
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const log = logger('watch');
      let sink: Sink;
      if (url !== null) {
        const secret = loadOrCreateSecret(dir);
        if (secret.created) log.warn(`made a webhook secret in ${secret.path}: give a copy to the receiver, which checks the Scryp-Signature header with it`);
        sink = webhookSink(url, secret.secret, timeoutMs);
      } else if (args.exec !== undefined) {
        sink = execSink(args.exec, timeoutMs);
      } else {
        sink = jsonlSink();
      }
      const stop = new AbortController();
      // A signal stops the watcher between two steps, or abandons the delivery in flight
      // (made again at the next start: the position moves only after a delivery).
      process.on('SIGINT', () => stop.abort());
      process.on('SIGTERM', () => stop.abort());
      const client = await UdpClient.open();
      try {
        await watch({ client, network, account, dir, sink, from, log, signal: stop.signal });
      } finally {
        client.close();
      }
    }),
});

/** DIR/.seed's account (an encrypted seed names it: no passphrase needed). */
function accountOfDir(dir: string): Uint8Array {
  if (seedFileState(dir) === 'missing') fail('WATCH_NO_ACCOUNT', `${seedPath(dir)} does not exist, so DIR names no account: give --account ADDRESS (the account to watch), or --dir of that wallet`);
  return seedFileAccount(dir);
}

/** A mistake in what a person typed: a usage error (exit 2) that keeps its code. */
function asUsage<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (isScrypError(error, 'WATCH_URL') || isScrypError(error, 'WATCH_NO_ACCOUNT')) throw new UsageError(error.message);
    throw error;
  }
}
