// scryp history ADDRESS: an account's payments, newest first, as a majority of servers
// lists them (src/client/history.ts: every server asked, every payer signature checked).
// A table by default; --csv for a bookkeeper (the columns are documented in historyCsv);
// --json for programs.

import { defineCommand } from 'citty';
import { encodeAddress, parseAccount } from '../address.ts';
import { toHex } from '../bytes.ts';
import { history_client_entries_max } from '../constants.ts';
import { accountHistory, type HistoryEntry, history_limit_default, historyCsv, isoTime, outcomeOf } from '../client/history.ts';
import { isScrypError } from '../errors.ts';
import type { Network } from '../network.ts';
import { askingServers } from './servers.ts';
import { action, chooseNetwork, cursorArg, exit_code, integerArg, logArgs, networkArg, print, setupLogs, UsageError } from './common.ts';

export const historyCommand = defineCommand({
  meta: {
    name: 'history',
    description:
      'Ask every server for the payments of ADDRESS, newest first; show an entry as committed when a majority of servers lists the same bytes, and mark disagreements',
  },
  args: {
    address: { type: 'positional', description: 'the account: an address (scryp1…) or 64 hex characters', required: true, valueHint: 'ADDRESS' },
    limit: { type: 'string', description: `payments to show, 1..${history_client_entries_max} (default ${history_limit_default})`, valueHint: 'N' },
    before: { type: 'string', description: 'older than this payment: PERIOD:INDEX, as the last page ends (default: from the newest)', valueHint: 'PERIOD:INDEX' },
    csv: { type: 'boolean', description: 'CSV for a bookkeeper: time, period, direction, counterparty, amount (signed), txid, outcome, period_end, reference', default: false },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      if (args.csv && args.json) throw new UsageError('--csv and --json each choose the output: give one of them');
      const fileNetwork = chooseNetwork(args.network);
      const account = accountArgument(args.address);
      const limit = args.limit === undefined ? history_limit_default : integerArg(args.limit, '--limit', 1, history_client_entries_max);
      const before = args.before === undefined ? undefined : cursorArg(args.before, '--before');
      // Where servers that moved are now (PROTOCOL §3.10), and which a change put in charge (§6.11).
      return askingServers(fileNetwork, async (client, network) => {
        const page = await accountHistory(client, network, account, { limit, ...(before === undefined ? {} : { before }) });
        const heard = page.answered.length >= network.majority;
        if (args.csv) process.stdout.write(historyCsv(account, page.entries, network.periodMs));
        else if (args.json) print(JSON.stringify(jsonOf(network, page.account, page)));
        else if (page.answered.length > 0) printTable(network, page);
        if (!heard) {
          const heardFrom = page.answered.length === 0 ? `no server of network ${network.name} answered in time` : `only ${page.answered.length} of ${network.servers.length} servers answered (a majority is ${network.majority})`;
          process.stderr.write(`scryp: ${heardFrom}: nothing can be shown as committed\n`);
          return exit_code.timeout;
        }
        return exit_code.ok;
      });
    }),
});

function accountArgument(text: string | undefined): Uint8Array {
  if (text === undefined) throw new UsageError('ADDRESS is required (an address scryp1…, or 64 hex characters)');
  try {
    return parseAccount(text, 'ADDRESS');
  } catch (error) {
    if (isScrypError(error)) throw new UsageError(error.message);
    throw error;
  }
}

function statusText(entry: HistoryEntry): string {
  const outcome = outcomeOf(entry);
  if (!entry.signatureValid) return `BAD SIGNATURE (servers ${entry.servers.join(', ')})`;
  if (outcome === 'disputed') return `DISPUTED: only ${entry.servers.length === 1 ? `server ${entry.servers[0]} lists` : `servers ${entry.servers.join(', ')} list`} it`;
  return outcome;
}

function printTable(network: Network, page: Awaited<ReturnType<typeof accountHistory>>): void {
  const address = encodeAddress(page.account);
  const answered = `${page.answered.length === 1 ? 'server' : 'servers'} ${page.answered.join(', ')} answered`;
  if (page.entries.length === 0) {
    print(`${address}: no payments${page.next === null ? '' : ' in this page'} (committed period ${page.committedPeriod}; ${answered})`);
  } else {
    print(`${address}: ${page.entries.length} payment${page.entries.length === 1 ? '' : 's'}, newest first (committed period ${page.committedPeriod}; ${answered})`);
    // The reference column only when a payment of the page has one (an invoice number the payee chose).
    const references = page.entries.some((entry) => entry.reference !== null);
    const rows = page.entries.map((entry) => [
      isoTime(entry.timestamp).replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      entry.direction,
      `${entry.direction === 'out' ? '-' : '+'}${entry.amount}`,
      encodeAddress(entry.counterparty),
      ...(references ? [entry.reference?.toString() ?? '-'] : []),
      statusText(entry),
    ]);
    const header = ['time (UTC)', 'dir', 'amount', 'counterparty', ...(references ? ['reference'] : []), 'status'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const line = (cells: string[]) => cells.map((cell, column) => (column === 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
    print(line(header));
    for (const row of rows) print(line(row));
  }
  const disputed = page.entries.filter((entry) => outcomeOf(entry) === 'disputed').length;
  if (disputed > 0) print(`${disputed} entr${disputed === 1 ? 'y is' : 'ies are'} not confirmed by a majority of the ${network.servers.length} servers, or badly signed: do not rely on ${disputed === 1 ? 'it' : 'them'}`);
  if (page.archiveFrom > 0) print(`(the servers asked hold no payments before period ${page.archiveFrom + 1})`);
  if (page.next !== null) print(`older payments: scryp history ${address} --before ${page.next.period}:${page.next.index}`);
}

function jsonOf(network: Network, account: Uint8Array, page: Awaited<ReturnType<typeof accountHistory>>): object {
  return {
    account: toHex(account),
    address: encodeAddress(account),
    committedPeriod: page.committedPeriod,
    archiveFrom: page.archiveFrom,
    answered: page.answered,
    majority: network.majority,
    next: page.next,
    entries: page.entries.map((entry) => ({
      period: entry.period,
      index: entry.index,
      time: isoTime(entry.timestamp),
      timestamp: entry.timestamp,
      direction: entry.direction,
      counterparty: encodeAddress(entry.counterparty),
      amount: entry.amount,
      reference: entry.reference === null ? null : entry.reference.toString(),
      txid: toHex(entry.txid),
      outcome: outcomeOf(entry),
      applied: entry.applied,
      agreement: entry.agreement,
      servers: entry.servers,
      signatureValid: entry.signatureValid,
    })),
  };
}
