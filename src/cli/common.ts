// What every command shares: log flags, choosing the network, and the one place where
// errors are printed and the process exits.

import { parseAccount } from '../address.ts';
import { equal, fromHex, toHex } from '../bytes.ts';
import type { CommittedChange } from '../consensus/configuration.ts';
import { fail, isScrypError, personInputCodes } from '../errors.ts';
import { servedNetwork } from '../ledger/served-network.ts';
import { configureLogs, parseLogLevel } from '../log.ts';
import { loadNetworkFile } from '../network-file.ts';
import { type Network } from '../network.ts';
import { devnetNetwork } from '../devnet.ts';
import { parseAddress, type Address } from '../ip.ts';
import { ReplyTimeout } from '../client/udp-client.ts';

export const logArgs = {
  'log-level': { type: 'string', description: 'error, warn, info, debug, trace or silent', default: 'info', valueHint: 'LEVEL' },
  json: { type: 'boolean', description: 'print logs (and answers) as JSON lines', default: false },
} as const;

export const networkArg = {
  network: { type: 'string', description: 'network file (default: the embedded devnet)', valueHint: 'FILE' },
} as const;

export { exit_code } from '../exit-codes.ts';
import { exit_code } from '../exit-codes.ts';

export class UsageError extends Error {}

/** A person cancelled at a prompt (Ctrl-D): nothing was done. */
export class PromptCancelled extends Error {
  constructor(reason = 'cancelled at the prompt (Ctrl-D); nothing was done') {
    super(reason);
    this.name = 'PromptCancelled';
  }
}

export function setupLogs(args: { 'log-level'?: string; json?: boolean }): void {
  let level;
  try {
    level = parseLogLevel(args['log-level'] ?? 'info');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  configureLogs(level, args.json ?? false);
}

export function chooseNetwork(path: string | undefined): Network {
  return path === undefined ? devnetNetwork : loadNetworkFile(path);
}

/**
 * The network of a server's directory (--dir), with the chain of changes it committed, as
 * its ledger remembers them (ledger/served-network.ts). A --network given beside it must be
 * that same network (STORE_MISMATCH); a directory whose ledger remembers none (no ledger,
 * or its node has not started since directories remember) takes --network, or the devnet's.
 */
export function directoryNetwork(dir: string, networkPath: string | undefined): { network: Network; chain: readonly CommittedChange[] | null } {
  const served = servedNetwork(dir);
  if (networkPath === undefined) return served ?? { network: devnetNetwork, chain: null };
  const network = loadNetworkFile(networkPath);
  if (served !== null && !equal(served.network.id, network.id)) {
    fail(
      'STORE_MISMATCH',
      `${dir} serves network ${served.network.name} (${toHex(served.network.id).slice(0, 16)}…), not ${network.name} (${toHex(network.id).slice(0, 16)}…) of ${networkPath}: leave --network out (the directory knows its network), or give the directory of a server of ${network.name}`,
    );
  }
  return { network, chain: served?.chain ?? null };
}

/** The directory a command works in (--dir): given and not empty. */
export function dirArg(text: string | undefined): string {
  if (!text) throw new UsageError('--dir is required');
  return text;
}

export function addressArg(text: string | undefined, field: string): Address {
  if (text === undefined) throw new UsageError(`${field} is required (HOST:PORT)`);
  try {
    return parseAddress(text, field);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A hex argument of an exact length (a key, a txid); upper case is accepted and lowered. */
export function hexArg(text: string | undefined, bytes: number, field: string): Uint8Array {
  if (text === undefined) throw new UsageError(`${field} is required (${2 * bytes} hex characters)`);
  try {
    return fromHex(text.toLowerCase(), bytes, field);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * An account as a person gives it: an address (scryp1…) or 64 hex characters. A wrong
 * checksum, prefix, case or length is a usage error: one line naming what is wrong, with
 * its code (ADDRESS_CHECKSUM, …), exit 2.
 */
export function accountArg(text: string | undefined, field: string): Uint8Array {
  if (text === undefined) throw new UsageError(`${field} is required (an address scryp1…, or 64 hex characters)`);
  try {
    return parseAccount(text, field);
  } catch (error) {
    if (isScrypError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/** Text from someone else (a payment request's label), safe to print: control characters shown as code points. */
export function printable(text: string): string {
  return text.replace(/\p{C}/gu, (character) => `<U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}

/** A position in an account's history as `scryp history` prints it: PERIOD:INDEX. */
export function cursorArg(text: string, field: string, expected = 'PERIOD:INDEX'): { period: number; index: number } {
  const match = /^([0-9]{1,16}):([0-9]{1,10})$/.exec(text);
  if (match === null) throw new UsageError(`${field}: expected ${expected} (two whole numbers, as "next" shows them), got ${text}`);
  const period = integerArg(match[1], `${field} period`, 1, Number.MAX_SAFE_INTEGER);
  const index = integerArg(match[2], `${field} index`, 0, 0xffff_ffff);
  return { period, index };
}

export function integerArg(text: string | undefined, field: string, min: number, max: number): number {
  if (text === undefined || !/^-?[0-9]+$/.test(text)) throw new UsageError(`${field}: expected an integer, got ${text ?? 'nothing'}`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${field}: expected ${min}..${max}, got ${value}`);
  return value;
}

/** A payee's reference as a person types it: decimal, 1 … 2^64 − 1 (beyond 2^53 kept exactly). */
export function referenceArg(text: string | undefined, field: string): bigint {
  if (text === undefined || !/^[0-9]{1,20}$/.test(text)) throw new UsageError(`${field}: expected a reference, a whole number 1..18446744073709551615, got ${text ?? 'nothing'}`);
  const value = BigInt(text);
  if (value < 1n || value > 0xffff_ffff_ffff_ffffn) throw new UsageError(`${field}: expected 1..18446744073709551615, got ${text}`);
  return value;
}

/**
 * action() for a command of one network: its logs set up and its network file read (the
 * embedded devnet's without --network) before the body runs.
 */
export function networkAction(args: { readonly network?: string | undefined; readonly 'log-level'?: string; readonly json?: boolean }, body: (network: Network) => Promise<number | void> | number | void): Promise<void> {
  return action(() => {
    setupLogs(args);
    return body(chooseNetwork(args.network));
  });
}

/** Runs a command body; prints a failure as one line on stderr and exits with its code. */
export async function action(body: () => Promise<number | void> | number | void): Promise<void> {
  let code: number;
  try {
    code = (await body()) ?? exit_code.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`scryp: ${error.message} (see --help)\n`);
      code = exit_code.usage;
    } else if (error instanceof PromptCancelled) {
      process.stderr.write(`scryp: ${error.message}\n`);
      code = exit_code.error;
    } else if (error instanceof ReplyTimeout) {
      process.stderr.write(`scryp: ${error.message}\n`);
      code = exit_code.timeout;
    } else if (isScrypError(error)) {
      process.stderr.write(`scryp: ${error.message}\n`);
      // An account or request a person typed wrong is a usage error, like a bad option value.
      code = personInputCodes.has(error.code) ? exit_code.usage : exit_code.error;
    } else {
      process.stderr.write(`scryp: ${(error as Error).stack ?? String(error)}\n`);
      code = exit_code.error;
    }
  }
  if (code !== exit_code.ok) process.exit(code);
}

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
