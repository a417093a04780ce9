// The webhook secret of `scryp watch`: DIR/webhook-secret, 64 lowercase hex characters and
// a newline, made from the system's random source on first use (mode 0600) and never
// replaced. A webhook's receiver keeps a copy: the Scryp-Signature header is HMAC-SHA256
// keyed with these 64 characters as text (docs/PROTOCOL.md §6.13), so that any language
// can check it with the string as it is in the file.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../bytes.ts';
import { writeNew } from '../cli/out-file.ts';
import { watch_secret_bytes } from '../constants.ts';
import { fail, isScrypError } from '../errors.ts';

export const secret_file_name = 'webhook-secret';

export function secretPath(dir: string): string {
  return join(dir, secret_file_name);
}

function readSecret(path: string): string {
  if (statSync(path).size > 1024) fail('WATCH_SECRET_FILE', `${path}: not a webhook secret (too large); it is left as it is: remove it to make a new one`);
  const text = readFileSync(path, 'utf8');
  const match = /^([0-9a-f]{64})\n?$/.exec(text);
  if (match === null) fail('WATCH_SECRET_FILE', `${path}: expected 64 lowercase hex characters and a newline; it is left as it is: repair it, or remove it to make a new one (and give that to the receiver)`);
  return match[1]!;
}

/** DIR's webhook secret, made now if DIR has none; `created` says which. */
export function loadOrCreateSecret(dir: string): { secret: string; created: boolean; path: string } {
  const path = secretPath(dir);
  if (existsSync(path)) return { secret: readSecret(path), created: false, path };
  const secret = toHex(new Uint8Array(randomBytes(watch_secret_bytes)));
  try {
    writeNew(path, `${secret}\n`, 0o600);
    return { secret, created: true, path };
  } catch (error) {
    if (!isScrypError(error, 'OUT_EXISTS')) throw error;
    return { secret: readSecret(path), created: false, path }; // another watcher made it at the same instant
  }
}
