// The flags that name servers and genesis accounts on the command line, shared by
// `scryp network new` (network.ts) and `scryp network change` (network-change.ts): a flag
// given several times, KEY@HOST:PORT, ACCOUNT=BALANCE.

import { parseAccount } from '../address.ts';
import { toHex } from '../bytes.ts';
import { balance_max } from '../constants.ts';
import { isScrypError } from '../errors.ts';
import { formatAddress, parseAddress } from '../ip.ts';
import { integerArg, UsageError } from './common.ts';

/** Every value of a flag that may be given several times (citty keeps only the last). */
export function repeatedFlag(rawArgs: readonly string[], flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === '--') break;
    if (arg === `--${flag}`) {
      const value = rawArgs[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`--${flag} needs a value`);
      values.push(value);
      i++;
    } else if (arg.startsWith(`--${flag}=`)) {
      values.push(arg.slice(flag.length + 3));
    }
  }
  return values;
}

/** `KEY@HOST:PORT`: the server's key (address or hex) and where it listens. */
export function parseServerFlag(text: string, position: number): { key: string; ip: string } {
  const at = text.lastIndexOf('@');
  if (at < 0) throw new UsageError(`--server #${position}: expected KEY@HOST:PORT (the key printed by scryp keygen on that server), got "${text}"`);
  try {
    const key = parseAccount(text.slice(0, at), `--server #${position} key`);
    const address = parseAddress(text.slice(at + 1), `--server #${position} address`);
    return { key: toHex(key), ip: formatAddress(address) };
  } catch (error) {
    if (isScrypError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/** `ADDRESS=AMOUNT`: a founder's account and its whole scryp at genesis. */
export function parseGenesisFlag(text: string, position: number): { account: string; balance: number } {
  const equals = text.lastIndexOf('=');
  if (equals < 0) throw new UsageError(`--genesis #${position}: expected ADDRESS=AMOUNT, got "${text}"`);
  let account: Uint8Array;
  try {
    account = parseAccount(text.slice(0, equals), `--genesis #${position} account`);
  } catch (error) {
    if (isScrypError(error)) throw new UsageError(error.message);
    throw error;
  }
  const balance = integerArg(text.slice(equals + 1), `--genesis #${position} amount`, 1, balance_max);
  return { account: toHex(account), balance };
}

/** What might go wrong with a valid network, in words an operator can act on. */
