// scryp receipt save TXID --out FILE (--dir DIR | --account ADDRESS): asks the servers in
// force for the payment's period (src/client/receipt.ts) and writes the receipt once a
// quorum of them, distinct, say COMMITTED in one period.
// scryp receipt check FILE --network FILE [--chain FILE]: checks a receipt offline
// (src/receipt.ts): exit 0 and a one-line summary, or exit 3 with the RECEIPT_* code of
// what fails. Which servers were in force: the chain the receipt carries, checked from the
// network file, or --chain (scryp network show --out), which takes its place.

import { readFileSync } from 'node:fs';
import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { hash_bytes, receipt_file_bytes_max } from '../constants.ts';
import { isScrypError } from '../errors.ts';
import { type CheckedReceipt, checkReceipt, formatReceipt, parseReceipt } from '../receipt.ts';
import { collectReceipt } from '../client/receipt.ts';
import { UdpClient } from '../client/udp-client.ts';
import type { Network } from '../network.ts';
import { seedFileAccount, seedFileState } from '../seed.ts';
import { accountArg, action, chooseNetwork, exit_code, hexArg, logArgs, networkArg, print, setupLogs, UsageError } from './common.ts';
import { loadChainFile } from './network-change.ts';
import { refuseExisting, writeNew } from './out-file.ts';

/** The one line a person reads: what was paid, to whom, when, and who vouches. */
export function receiptSummary(network: Network, checked: CheckedReceipt): string {
  const reference = checked.reference === null ? '' : ` with reference ${checked.reference}`;
  const servers = checked.servers.join(', ');
  return (
    `valid receipt: ${checked.amount} scryp from ${encodeAddress(checked.payer)} to ${encodeAddress(checked.payee)}${reference}, committed in period ${checked.period} ` +
    `(txid ${toHex(checked.txid)}); vouched for by servers ${servers} of configuration ${checked.configuration.number} (a quorum is ${checked.configuration.quorum} of ${checked.configuration.servers.length}) of network ${network.name}`
  );
}

function checkedJson(network: Network, checked: CheckedReceipt): object {
  return {
    valid: true,
    network: network.name,
    txid: toHex(checked.txid),
    period: checked.period,
    payer: encodeAddress(checked.payer),
    payee: encodeAddress(checked.payee),
    amount: checked.amount,
    reference: checked.reference === null ? null : checked.reference.toString(),
    configuration: checked.configuration.number,
    quorum: checked.configuration.quorum,
    servers: checked.servers,
  };
}

const saveCommand = defineCommand({
  meta: {
    name: 'save',
    description:
      'Ask the servers in force for a payment\'s period whether it is committed, and save the receipt (PROTOCOL §6.14) once a quorum of them, distinct, say COMMITTED in one period. The payment is found in the history of DIR\'s account, or of --account (its payer or its payee).',
  },
  args: {
    txid: { type: 'positional', description: 'the payment\'s txid, 64 hex characters', required: true, valueHint: 'TXID' },
    out: { type: 'string', description: 'the receipt file to write (never over an existing file)', required: true, valueHint: 'FILE' },
    dir: { type: 'string', description: 'a wallet whose payment it is (only its address is read: no passphrase is asked)', valueHint: 'DIR' },
    account: { type: 'string', description: 'or the account whose payment it is, payer or payee: an address or 64 hex characters', valueHint: 'ADDRESS' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const txid = hexArg(args.txid, hash_bytes, 'TXID');
      if (!args.out) throw new UsageError('--out is required: the receipt file to write');
      if ((args.dir === undefined) === (args.account === undefined)) throw new UsageError('give --dir (a wallet) or --account (an address): whose payment it is');
      let account: Uint8Array;
      if (args.dir !== undefined) {
        if (seedFileState(args.dir) === 'missing') throw new UsageError(`no wallet in ${args.dir}: give the wallet's directory, or --account`);
        account = seedFileAccount(args.dir);
      } else {
        account = accountArg(args.account, '--account');
      }
      const network = chooseNetwork(args.network);
      refuseExisting(args.out); // before asking anyone: a receipt is never written over a file
      const client = await UdpClient.open();
      try {
        let collected;
        try {
          collected = await collectReceipt(client, network, account, txid);
        } catch (error) {
          if (isScrypError(error, 'RECEIPT_TOO_FEW')) {
            process.stderr.write(`scryp: ${error.message}\n`);
            return exit_code.timeout;
          }
          if (isScrypError(error, 'RECEIPT_NOT_COMMITTED')) {
            process.stderr.write(`scryp: ${error.message}\n`);
            return exit_code.refused;
          }
          throw error;
        }
        writeNew(args.out, formatReceipt(collected.receipt));
        if (args.json) print(JSON.stringify({ ...checkedJson(network, collected.checked), file: args.out, replies: collected.receipt.replies.length, asked: collected.asked }));
        else print(`${receiptSummary(network, collected.checked).replace(/^valid receipt/, `receipt saved to ${args.out}`)}`);
        return exit_code.ok;
      } finally {
        client.close();
      }
    }),
});

const checkCommand = defineCommand({
  meta: {
    name: 'check',
    description:
      'Check a receipt offline, against the network file (and the chain of server-set changes it carries, or --chain): exit 0 and a one-line summary, or exit 3 and the code of what fails (RECEIPT_*)',
  },
  args: {
    file: { type: 'positional', description: 'the receipt file', required: true, valueHint: 'FILE' },
    chain: { type: 'string', description: 'the chain of committed server-set changes you trust (scryp network show --out), in place of the receipt\'s own', valueHint: 'CHAIN.json' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(() => {
      setupLogs(args);
      if (args.network === undefined) throw new UsageError('--network is required: the network file of the receipt (a receipt is checked against it, offline)');
      const network = chooseNetwork(args.network);
      const chain = args.chain === undefined ? null : loadChainFile(args.chain);
      if (chain !== null && toHex(chain.network) !== toHex(network.id)) throw new UsageError(`--chain ${args.chain} is for another network than --network ${args.network}`);
      let text: string;
      try {
        const bytes = readFileSync(args.file!);
        if (bytes.length > receipt_file_bytes_max) throw new Error(`${bytes.length} bytes, a receipt is at most ${receipt_file_bytes_max}`);
        text = bytes.toString('utf8');
      } catch (error) {
        throw new UsageError(`${args.file}: ${(error as Error).message}`);
      }
      try {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (error) {
          return refused(`RECEIPT_MALFORMED: ${args.file} is not JSON (${(error as Error).message})`);
        }
        const checked = checkReceipt(network, parseReceipt(json), chain?.changes ?? null);
        print(args.json ? JSON.stringify(checkedJson(network, checked)) : receiptSummary(network, checked));
        return exit_code.ok;
      } catch (error) {
        if (isScrypError(error) && (error.code.startsWith('RECEIPT_') || error.code === 'CHANGE_CHAIN')) return refused(error.message);
        throw error;
      }
    }),
});

/** A receipt that does not hold: one line on stderr with its code, exit 3. */
function refused(message: string): number {
  process.stderr.write(`scryp: ${message}\n`);
  return exit_code.refused;
}

export const receiptCommand = defineCommand({
  meta: { name: 'receipt', description: 'Receipts anyone can check offline: save one for a committed payment, check one' },
  subCommands: { save: saveCommand, check: checkCommand },
});
