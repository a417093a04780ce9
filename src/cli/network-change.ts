// `scryp network change` and `scryp network sign`: the offline half of changing a network's
// servers without a new network (issue 13, PROTOCOL §3.9). One operator writes the change
// file from the current server list and a few edits; each server of that list signs it on
// its own machine; once a quorum has signed, `scryp network submit` hands it to the network.
//
// Nothing here talks to a server (network-submit.ts does: submit and show). The current
// configuration is the last one the committed changes make, each checked from the network
// file (configurationsOf): the chain a server's directory committed (--dir), or a chain
// file (--chain), believed only as far as its signatures go; with neither, the network file.

import { defineCommand } from 'citty';
import { statSync, readFileSync } from 'node:fs';
import { encodeAddress } from '../address.ts';
import { equal, toHex } from '../bytes.ts';
import { network_file_bytes_max, u64_safe_max } from '../constants.ts';
import { type ChainFile, type ChangeFile, checkSignatureKeys, currentConfiguration, formatChangeFile, parseChainFile, parseChangeFile } from '../consensus/change-file.ts';
import {
  type Change,
  type ChangeSignature,
  type CommittedChange,
  change_lead_periods,
  changeId,
  changeSigningMessage,
  checkReplaces,
  checkServerList,
  checkSignatures,
  type ConfigServer,
  type Configuration,
} from '../consensus/configuration.ts';
import { fail, isScrypError } from '../errors.ts';
import { formatAddress } from '../ip.ts';
import { loadNetworkFile } from '../network-file.ts';
import { type Network, quorumOf } from '../network.ts';
import { seedFileAccount, seedPath } from '../seed.ts';
import { signerFromSeed, verify } from '../signature.ts';
import { accountArg, action, dirArg, directoryNetwork, integerArg, logArgs, print, setupLogs, UsageError } from './common.ts';
import { parseServerFlag } from './network-flags.ts';
import { refuseExisting, replaceFile, writeNew } from './out-file.ts';
import { openSeed, passphraseArg } from './passphrase.ts';

/** A change or chain file larger than this is not one (a change is a few KiB; a chain of them, less than a network file). */
const change_file_bytes_max = network_file_bytes_max;

// ---- files -------------------------------------------------------------------------------

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > change_file_bytes_max) fail('BAD_CHANGE_FILE', `${what} ${path}: ${size} bytes is over the ${change_file_bytes_max}-byte limit`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isScrypError(error)) throw error;
    fail('BAD_CHANGE_FILE', `${what} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    fail('BAD_CHANGE_FILE', `${what} ${path}: not JSON (${(error as Error).message})`);
  }
}

/** Runs `body`, naming the file in a BAD_CHANGE_FILE it throws. */
function namingFile<T>(path: string, what: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (isScrypError(error, 'BAD_CHANGE_FILE')) fail('BAD_CHANGE_FILE', `${what} ${path}: ${error.message.replace(/^BAD_CHANGE_FILE: /, '')}`);
    throw error;
  }
}

function parseFile<T>(path: string, what: string, parse: (json: unknown) => T): T {
  const json = readJson(path, what);
  return namingFile(path, what, () => parse(json));
}

export function loadChangeFile(path: string): ChangeFile {
  return parseFile(path, 'change file', parseChangeFile);
}

export function loadChainFile(path: string): ChainFile {
  return parseFile(path, 'chain file', parseChainFile);
}

/**
 * The configuration in force: the last of a chain file (--chain), or of the changes the
 * server's directory committed, or the network file's (configuration 0).
 */
function current(network: Network, chainPath: string | undefined, committed: readonly CommittedChange[] | null): Configuration {
  const chain = chainPath !== undefined ? loadChainFile(chainPath) : committed === null ? null : { network: network.id, changes: committed };
  return currentConfiguration(network, chain, verify);
}

// ---- the edits -----------------------------------------------------------------------------

export type Edit =
  | { readonly kind: 'add'; readonly flag: string; readonly server: ConfigServer }
  | { readonly kind: 'remove'; readonly flag: string; readonly key: Uint8Array }
  | { readonly kind: 'replace'; readonly flag: string; readonly old: Uint8Array; readonly server: ConfigServer };

const editFlags = ['add', 'remove', 'replace'] as const;

/** A ScrypError of the person's input as a usage error (exit 2) that keeps its code. */
function asUsage<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (isScrypError(error)) throw new UsageError(error.message);
    throw error;
  }
}

function serverOf(text: string, flag: string): ConfigServer {
  // parseServerFlag names its flag --server; here it is --add or --replace.
  let parsed: { key: string; ip: string };
  try {
    parsed = parseServerFlag(text, 0);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(error.message.replace(/--server #0( key| address)?/, flag));
    throw error;
  }
  const [host, port] = [parsed.ip.slice(0, parsed.ip.lastIndexOf(':')), Number(parsed.ip.slice(parsed.ip.lastIndexOf(':') + 1))];
  return { key: Uint8Array.from(Buffer.from(parsed.key, 'hex')), address: { host, port } };
}

/** The edits in the order given on the command line, whatever their kind (citty keeps only each flag's last value). */
export function parseEdits(rawArgs: readonly string[]): Edit[] {
  const edits: Edit[] = [];
  const counts = { add: 0, remove: 0, replace: 0 };
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === '--') break;
    const kind = editFlags.find((name) => arg === `--${name}` || arg.startsWith(`--${name}=`));
    if (kind === undefined) continue;
    let value: string | undefined;
    if (arg.includes('=') && arg.indexOf('=') === kind.length + 2) value = arg.slice(kind.length + 3);
    else {
      value = rawArgs[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`--${kind} needs a value`);
      i++;
    }
    const flag = `--${kind} #${++counts[kind]}`;
    if (kind === 'add') {
      if (!value.includes('@')) throw new UsageError(`${flag}: expected KEY@HOST:PORT (the key printed by scryp keygen on the new server, and where the others reach it), got "${value}"`);
      edits.push({ kind, flag, server: serverOf(value, flag) });
    } else if (kind === 'remove') {
      edits.push({ kind, flag, key: accountArg(value, flag) });
    } else {
      const equals = value.indexOf('=');
      if (equals < 0 || !value.includes('@', equals)) throw new UsageError(`${flag}: expected OLD=NEW@HOST:PORT (the key leaving, the key taking its place, and where that one listens), got "${value}"`);
      edits.push({ kind, flag, old: accountArg(value.slice(0, equals), `${flag} old key`), server: serverOf(value.slice(equals + 1), `${flag} new key`) });
    }
  }
  return edits;
}

export function keyText(key: Uint8Array): string {
  return encodeAddress(key);
}

function refuseUnknown(flag: string, key: Uint8Array, configuration: Configuration): never {
  fail(
    'CHANGE_UNKNOWN_SERVER',
    `${flag}: ${keyText(key)} is not a server of configuration ${configuration.number} (its servers: ${configuration.servers.map((server, i) => `${i} ${keyText(server.key).slice(0, 14)}…`).join(', ')}); check the key${configuration.number === 0 ? ', or give --chain if changes were committed since the network file' : ''}`,
  );
}

/**
 * The new server list: the current one with each edit applied in order. An added server
 * goes last in the rotation; a removed one leaves the others in their order; a replacing
 * one takes the place of the one it replaces. A key or address used twice is refused at
 * the edit that does it.
 */
export function applyEdits(configuration: Configuration, edits: readonly Edit[]): ConfigServer[] {
  const servers: ConfigServer[] = configuration.servers.map((server) => ({ key: server.key, address: server.address }));
  const indexOf = (key: Uint8Array) => servers.findIndex((server) => equal(server.key, key));
  const checkNew = (flag: string, server: ConfigServer, except: number) => {
    const sameKey = indexOf(server.key);
    if (sameKey >= 0 && sameKey !== except) fail('CHANGE_DUPLICATE_KEY', `${flag}: ${keyText(server.key)} is already server ${sameKey}: each server has its own key`);
    const sameAddress = servers.findIndex((other, i) => i !== except && formatAddress(other.address) === formatAddress(server.address));
    if (sameAddress >= 0) fail('CHANGE_DUPLICATE_ADDRESS', `${flag}: ${formatAddress(server.address)} is already server ${sameAddress}'s address: each server needs its own HOST:PORT`);
  };
  for (const edit of edits) {
    if (edit.kind === 'add') {
      checkNew(edit.flag, edit.server, -1);
      servers.push(edit.server);
    } else if (edit.kind === 'remove') {
      const at = indexOf(edit.key);
      if (at < 0) refuseUnknown(edit.flag, edit.key, configuration);
      servers.splice(at, 1);
    } else {
      const at = indexOf(edit.old);
      if (at < 0) refuseUnknown(edit.flag, edit.old, configuration);
      checkNew(edit.flag, edit.server, at);
      servers[at] = edit.server;
    }
  }
  if (servers.length === 0) fail('CHANGE_EMPTY', 'the edits remove every server; a network needs at least one: keep one, or add the new ones in the same command');
  checkServerList(servers);
  return servers;
}

/** What the change does, in words: added, removed, replaced, moved. */
export function describeChange(before: Configuration, after: readonly ConfigServer[], edits: readonly Edit[]): string[] {
  const has = (list: readonly ConfigServer[], key: Uint8Array) => list.some((server) => equal(server.key, key));
  const replaced = edits.flatMap((edit) => (edit.kind === 'replace' && !has(after, edit.old) && has(after, edit.server.key) ? [edit] : []));
  const isReplacement = (key: Uint8Array) => replaced.some((edit) => equal(edit.old, key) || equal(edit.server.key, key));
  const lines: string[] = [];
  for (const server of after) {
    if (!has(before.servers, server.key) && !isReplacement(server.key)) lines.push(`added     ${keyText(server.key)}  ${formatAddress(server.address)}`);
  }
  for (const [i, server] of before.servers.entries()) {
    if (!has(after, server.key) && !isReplacement(server.key)) lines.push(`removed   server ${i}  ${keyText(server.key)}  ${formatAddress(server.address)}`);
  }
  for (const edit of replaced) {
    const i = before.servers.findIndex((server) => equal(server.key, edit.old));
    lines.push(`replaced  server ${i}  ${keyText(edit.old)}  by ${keyText(edit.server.key)}  ${formatAddress(edit.server.address)}`);
  }
  for (const [i, server] of before.servers.entries()) {
    const now = after.find((other) => equal(other.key, server.key));
    if (now !== undefined && formatAddress(now.address) !== formatAddress(server.address)) lines.push(`moved     server ${i}  ${keyText(server.key)}  ${formatAddress(server.address)} → ${formatAddress(now.address)}`);
  }
  return lines;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ---- the commands --------------------------------------------------------------------------

const chainArg = {
  chain: {
    type: 'string',
    description: 'the committed changes since the network file (written by scryp network show --out); without it, the network file\'s servers are the current ones',
    valueHint: 'CHAIN.json',
  },
} as const;

export const changeCommand = defineCommand({
  meta: {
    name: 'change',
    description:
      'Write an unsigned change of the server set: the current servers with the edits applied in the order given (--add puts a server last in the rotation; --remove and --replace keep the others\' order; --replace puts the new server at the old one\'s place). Then each current server signs it (scryp network sign) until a quorum has, and one of them submits it (scryp network submit).',
  },
  args: {
    network: { type: 'string', description: 'the network file (not needed with --dir)', valueHint: 'FILE' },
    dir: { type: 'string', description: 'a server\'s directory: the network it serves and the changes it committed (instead of --network and --chain)', valueHint: 'DIR' },
    ...chainArg,
    add: { type: 'string', description: 'a server to add: its key (scryp1… or 64 hex, from scryp keygen on that machine) @ where the others reach it; repeatable', valueHint: 'KEY@HOST:PORT' },
    remove: { type: 'string', description: 'a server to remove, by its key (scryp1… or 64 hex); repeatable', valueHint: 'KEY' },
    replace: { type: 'string', description: 'a server to replace by another at the same place in the rotation (a lost or retired machine); repeatable', valueHint: 'OLD=NEW@HOST:PORT' },
    at: {
      type: 'string',
      description: `the first period of the new server set (default: the earliest allowed, ${change_lead_periods} periods after the period that commits the change; a period given must be at least that)`,
      valueHint: 'PERIOD',
    },
    out: { type: 'string', description: 'the change file to write; never replaces an existing file', valueHint: 'CHANGE.json' },
    ...logArgs,
  },
  run: ({ args, rawArgs }) =>
    action(() => {
      setupLogs(args);
      if (args.network === undefined && args.dir === undefined) throw new UsageError('--network FILE or --dir DIR is required (the network whose servers change, or a server\'s directory that knows it)');
      if (args.out === undefined) throw new UsageError('--out CHANGE.json is required (the change file to write, which the servers then sign)');
      const edits = parseEdits(rawArgs);
      if (edits.length === 0) throw new UsageError('give at least one --add KEY@HOST:PORT, --remove KEY or --replace OLD=NEW@HOST:PORT');
      const first = args.at === undefined ? 0 : integerArg(args.at, '--at', 1, u64_safe_max);
      refuseExisting(args.out);
      const { network, chain } = args.dir === undefined ? { network: loadNetworkFile(args.network!), chain: null } : directoryNetwork(args.dir, args.network);
      const before = current(network, args.chain, chain);
      const servers = asUsage(() => applyEdits(before, edits));
      if (servers.length === before.servers.length && servers.every((server, i) => equal(server.key, before.servers[i]!.key) && formatAddress(server.address) === formatAddress(before.servers[i]!.address))) {
        throw new UsageError('the edits leave the server list as it is: there is nothing to change');
      }
      const change: Change = { replaces: before.number, replacesHash: before.hash, first, servers, signatures: [] };
      writeNew(args.out, formatChangeFile(network.id, change, before));
      const quorumAfter = quorumOf(servers.length, before.mode);
      const id = toHex(changeId(change));
      if (args.json) {
        print(
          JSON.stringify({
            file: args.out,
            change_id: id,
            replaces: before.number,
            first_period: first,
            servers: servers.map((server, index) => ({ index, key: toHex(server.key), address: encodeAddress(server.key), ip: formatAddress(server.address) })),
            quorum_before: before.quorum,
            quorum_after: quorumAfter,
            signatures_needed: before.quorum,
          }),
        );
        return;
      }
      const lines = [
        `wrote ${args.out}: change ${id.slice(0, 16)}… of network ${network.name}, replacing configuration ${before.number} (${plural(before.servers.length, 'server')})`,
        ...describeChange(before, servers, edits).map((line) => `  ${line}`),
        `new servers, in rotation order (alpha in this order):`,
        ...servers.map((server, i) => `  ${String(i).padStart(2)}  ${keyText(server.key)}  ${formatAddress(server.address)}`),
        `quorum: ${before.quorum} of ${before.servers.length} now, ${quorumAfter} of ${servers.length} after the change (${before.mode})`,
        `starts: ${first === 0 ? `the earliest allowed, ${change_lead_periods} periods after the period that commits it` : `period ${first} (it must be committed by period ${first - change_lead_periods})`}`,
        `signatures needed: ${before.quorum} of the ${plural(before.servers.length, 'server')} of configuration ${before.number} (0 so far)`,
        `next: on each of these servers, with its own directory,`,
        `  scryp network sign ${args.out} --dir SERVERDIR${args.chain === undefined ? '' : ` --chain ${args.chain}`}   (the server's directory knows its network and the changes it committed)`,
        `and pass the signed file on to the next; with ${before.quorum} signatures, scryp network submit ${args.out}`,
      ];
      for (const line of lines) print(line);
    }),
});

export const signCommand = defineCommand({
  meta: {
    name: 'sign',
    description:
      'Add this server\'s signature to a change file, after checking it: it is for this network, it replaces the configuration in force, its server list is valid, and the signatures already in it verify. The file is rewritten in one step; signing twice changes nothing.',
  },
  args: {
    file: { type: 'positional', description: 'the change file (from scryp network change)', required: true, valueHint: 'CHANGE.json' },
    dir: { type: 'string', description: 'this server\'s directory (its .seed signs; its ledger knows the network and the changes committed)', valueHint: 'DIR' },
    network: { type: 'string', description: 'the network file (default: the one the directory serves; given, it must be that one)', valueHint: 'FILE' },
    ...chainArg,
    ...passphraseArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const dir = dirArg(args.dir);
      const { network, chain } = directoryNetwork(dir, args.network);
      const before = current(network, args.chain, chain);
      const file = loadChangeFile(args.file);
      if (!equal(file.network, network.id)) {
        fail(
          'CHANGE_OTHER_NETWORK',
          `${args.file} is a change of network ${toHex(file.network).slice(0, 16)}…, not of ${network.name} (${toHex(network.id).slice(0, 16)}…): give the --network file it was made for`,
        );
      }
      const change = file.change;
      checkServerList(change.servers);
      checkReplaces(before, change);
      namingFile(args.file, 'change file', () => checkSignatureKeys(file, before));
      const signed = checkSignatures(network.id, before, change, verify);
      // Who signs: known from the seed file without its passphrase, so a wrong directory is said before any prompt.
      const key = seedFileAccount(dir);
      const index = before.servers.findIndex((server) => equal(server.key, key));
      if (index < 0) {
        fail(
          'CHANGE_UNKNOWN_SERVER',
          `${seedPath(dir)} is ${keyText(key)}, not a server of configuration ${before.number}: only its ${plural(before.servers.length, 'server')} sign a change of it; check --dir${before.number === 0 && args.chain === undefined && chain === null ? ' (and --chain, if changes were committed since the network file)' : ''}`,
        );
      }
      const report = (signatures: readonly ChangeSignature[], added: boolean) => {
        const signers = signatures.map((entry) => entry.signer);
        const ready = signers.length >= before.quorum;
        if (args.json) {
          print(JSON.stringify({ file: args.file, change_id: toHex(changeId(change)), server: index, signed: added, signatures: signers.length, needed: before.quorum, signers, ready }));
          return;
        }
        print(`${added ? `server ${index} signed` : `server ${index} had already signed; the file is unchanged`}: change ${toHex(changeId(change)).slice(0, 16)}… of network ${network.name}`);
        print(`${signers.length > before.quorum ? `${signers.length} signatures, ${before.quorum} needed` : `${signers.length} of ${before.quorum} signatures`} (servers ${signers.join(', ')} of configuration ${before.number})`);
        if (ready) print(`ready to submit: scryp network submit ${args.file}; more signatures do no harm`);
        else {
          const missing = before.servers.flatMap((server, i) => (signers.includes(i) ? [] : [`${i} ${keyText(server.key).slice(0, 14)}…`]));
          print(`not ready: ${plural(before.quorum - signers.length, 'more signature')} needed, from any of servers ${missing.join(', ')}: pass the file on to one of them`);
        }
      };
      if (signed.includes(index)) {
        report(change.signatures, false);
        return;
      }
      const signer = signerFromSeed(await openSeed(dir, args['passphrase-file']));
      if (!equal(signer.publicKey, key)) fail('BAD_SEED_FILE', `${seedPath(dir)}: the key it opens to is not the one its header names`);
      const signature = signer.sign(changeSigningMessage(network.id, change));
      const signatures = [...change.signatures, { signer: index, signature }].sort((a, b) => a.signer - b.signer);
      const next: Change = { ...change, signatures };
      checkSignatures(network.id, before, next, verify); // our own, before it is written
      replaceFile(args.file, formatChangeFile(network.id, next, before));
      report(signatures, true);
    }),
});
