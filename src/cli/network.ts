// `scryp network new` writes a network file from flags, so that nobody hand-writes JSON
// with 64-character keys; `scryp network check` reads one and says what it holds. Both
// go through src/network.ts (parseNetwork, networkToJson): a file this writes is a file
// every server reads, and its id is the one they print at start.
//
// The defaults are for servers spread across a town's internet, not a loopback devnet
// (src/constants.ts, network_*_default, with the reasons). Choices that work but invite
// trouble are warnings, not refusals: the operators may know better.

import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import {
  network_blackout_ms_default,
  network_period_ms_default,
  network_period_ms_risky,
  network_skew_ms_default,
  network_skew_ms_risky,
  network_skew_period_fraction_max,
  period_ms_max,
  period_ms_min,
} from '../constants.ts';
import { isScrypError } from '../errors.ts';
import { formatAddress } from '../ip.ts';
import { loadNetworkFile } from '../network-file.ts';
import { type Network, networkToJson, parseNetwork } from '../network.ts';
import { action, integerArg, logArgs, print, setupLogs, UsageError } from './common.ts';
import { refuseExisting, writeNew } from './out-file.ts';
import { changeCommand, signCommand } from './network-change.ts';
import { parseGenesisFlag, parseServerFlag, repeatedFlag } from './network-flags.ts';
import { showCommand, submitCommand } from './network-submit.ts';
import { amountText } from '../amount-text.ts';

export function networkWarnings(network: Network): string[] {
  const warnings: string[] = [];
  const n = network.servers.length;
  if (n === 1) warnings.push('a single server: nothing is committed while it is down, and nothing can check it; fine for trying scryp, not for money');
  else if (network.quorumMode === 'majority' && n % 2 === 0) {
    warnings.push(`${n} servers: a certificate needs ${network.majority}, so ${n - network.majority} may be down at once, no more than with ${n - 1}; an odd number (${n - 1} or ${n + 1}) is as safe for fewer machines, or safer`);
  }
  if (network.quorumMode === 'two-thirds' && network.faulty === 0) {
    warnings.push(`quorum two-thirds with ${n} server${n === 1 ? '' : 's'}: a certificate needs all ${network.quorum}, so no server may lie or even be down; two-thirds protects from a lying server from 4 servers on (3 of 4)`);
  }
  if (network.blackoutMs < network.skewMs) {
    warnings.push(
      `blackout ${network.blackoutMs} ms is shorter than the skew ${network.skewMs} ms: a server whose clock lags the alpha's can still forward a payment after the alpha has sealed its batch, and the payer hears FORWARDED for a payment that ends void; give --blackout-ms at least the skew`,
    );
  }
  if (network.skewMs > network_skew_period_fraction_max * network.periodMs) {
    warnings.push(
      `a period of ${network.periodMs} ms is short for a skew of ${network.skewMs} ms: clocks may disagree by over ${network_skew_period_fraction_max * 100}% of a period, so proposals come early or late and payments near a period's end are refused (BAD_TIME); lengthen the period to ${Math.ceil(network.skewMs / network_skew_period_fraction_max)} ms or more`,
    );
  }
  if (network.skewMs < network_skew_ms_risky) {
    warnings.push(`a skew of ${network.skewMs} ms: ordinary clocks on the internet (NTP) disagree by tens of ms, and clients' more: payments will be refused (BAD_TIME) for clocks merely a little off; ${network_skew_ms_default} ms is the default`);
  }
  if (network.periodMs < network_period_ms_risky) {
    warnings.push(`a period of ${network.periodMs} ms leaves little time for votes over a town's internet (round trips of 10 to 300 ms); ${network_period_ms_default} ms is the default`);
  }
  if (network.blackoutMs >= network.periodMs / 2) {
    warnings.push(
      `a blackout of ${network.blackoutMs} ms is half the period of ${network.periodMs} ms or more: for that much of every period only the alpha takes payments (the other servers refuse to forward them, BAD_TIME), so a wallet that cannot reach the alpha waits for the next period`,
    );
  }
  const loopback = network.servers.filter((server) => server.address.host.startsWith('127.'));
  if (n > 1 && loopback.length > 0 && loopback.length < n) {
    warnings.push(`server ${loopback.map((server) => server.index).join(', ')} listen on a loopback address (127.x.x.x): no other machine can reach ${loopback.length === 1 ? 'it' : 'them'}`);
  }
  if (network.genesis.length === 0) warnings.push('no genesis account: nobody owns any scryp, and no payment can ever be made (the supply is fixed at genesis)');
  return warnings;
}

/** The network as a person reads it: name, id, timing, servers in rotation order, genesis. */
export function describeNetwork(network: Network, genesisShown = 10): string[] {
  const lines = [
    `network ${network.name}`,
    `id ${toHex(network.id)}`,
    `period ${network.periodMs} ms, blackout ${network.blackoutMs} ms, skew ${network.skewMs} ms`,
    `${network.servers.length} server${network.servers.length === 1 ? '' : 's'} (alpha in this order; quorum ${network.quorumMode}: a certificate needs ${network.quorum}${network.quorumMode === 'two-thirds' ? `, and ${network.faulty} may lie` : ''}):`,
    ...network.servers.map((server) => `  ${String(server.index).padStart(2)}  ${encodeAddress(server.key)}  ${formatAddress(server.address)}`),
    `genesis: ${network.genesis.length} account${network.genesis.length === 1 ? '' : 's'}, supply ${amountText(network.supply)} scryp`,
    ...network.genesis.slice(0, genesisShown).map((entry) => `      ${encodeAddress(entry.account)}  ${amountText(entry.balance)}`),
  ];
  if (network.genesis.length > genesisShown) lines.push(`      … and ${network.genesis.length - genesisShown} more`);
  return lines;
}

function summaryJson(network: Network, warnings: string[]): object {
  return {
    name: network.name,
    id: toHex(network.id),
    period_ms: network.periodMs,
    blackout_ms: network.blackoutMs,
    skew_ms: network.skewMs,
    majority: network.majority,
    quorum: network.quorumMode,
    certificate_votes: network.quorum,
    faulty_tolerated: network.faulty,
    servers: network.servers.map((server) => ({ index: server.index, key: server.keyHex, address: encodeAddress(server.key), ip: formatAddress(server.address) })),
    genesis_accounts: network.genesis.length,
    supply: network.supply,
    warnings,
  };
}

function warn(warnings: string[], json: boolean): void {
  if (!json) for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
}

const newCommand = defineCommand({
  meta: {
    name: 'new',
    description:
      'Write a new network file from flags and print its id. Give --server once per server, in the order they take turns as alpha, and --genesis once per founding account. The file is the same for every server; the id commits to everything but the addresses.',
  },
  args: {
    name: { type: 'string', description: 'the network\'s name (1 to 64 bytes), part of its id', valueHint: 'NAME' },
    server: { type: 'string', description: 'a server: its key (scryp1… or 64 hex, from scryp keygen on that machine) @ the address others reach it at; repeat per server', valueHint: 'KEY@HOST:PORT' },
    genesis: { type: 'string', description: 'a founding account and its scryp (a whole number); repeat per account; the total is the supply, forever', valueHint: 'ADDRESS=AMOUNT' },
    'period-ms': {
      type: 'string',
      description: `period length (default ${network_period_ms_default}: a commit takes a few round trips, tens of ms in a town and up to a second on a congested uplink; payments are final in about 2 to 4 s)`,
      valueHint: 'MS',
    },
    'blackout-ms': {
      type: 'string',
      description: `the other servers stop forwarding a period's payments this long before it ends (the alpha takes those sent straight to it until the end), and the next alpha starts taking its own this long before (default ${network_blackout_ms_default}: at least the skew, so that payments forwarded by a server whose clock lags still reach the alpha before it seals its batch)`,
      valueHint: 'MS',
    },
    'skew-ms': {
      type: 'string',
      description: `how far a payment's time, or a peer's clock, may be from a server's clock (default ${network_skew_ms_default}: NTP keeps clocks within tens of ms, but a machine just booted or on a bad link can be off by more)`,
      valueHint: 'MS',
    },
    quorum: {
      type: 'string',
      description: 'majority (default: more than half of the servers make a certificate; survives servers that stop, not one that lies) or two-thirds (more than two thirds; survives f = (n − 1) / 3 servers that lie, at the cost of one more message round per period): PROTOCOL §8.10',
      valueHint: 'MODE',
    },
    out: { type: 'string', description: 'the network file to write; never replaces an existing file', valueHint: 'FILE' },
    ...logArgs,
  },
  run: ({ args, rawArgs }) =>
    action(() => {
      setupLogs(args);
      if (args.name === undefined) throw new UsageError('--name is required');
      if (args.out === undefined) throw new UsageError('--out FILE is required (the network file to write)');
      const servers = repeatedFlag(rawArgs, 'server').map((text, i) => parseServerFlag(text, i + 1));
      if (servers.length === 0) throw new UsageError('give at least one --server KEY@HOST:PORT (three, five or seven servers for a network that survives one, two or three down)');
      const genesis = repeatedFlag(rawArgs, 'genesis').map((text, i) => parseGenesisFlag(text, i + 1));
      const periodMs = args['period-ms'] === undefined ? network_period_ms_default : integerArg(args['period-ms'], '--period-ms', period_ms_min, period_ms_max);
      const blackoutMs = args['blackout-ms'] === undefined ? Math.min(network_blackout_ms_default, periodMs - 1) : integerArg(args['blackout-ms'], '--blackout-ms', 0, periodMs - 1);
      const skewMs = args['skew-ms'] === undefined ? Math.min(network_skew_ms_default, periodMs - 1) : integerArg(args['skew-ms'], '--skew-ms', 0, periodMs - 1);
      if (args.quorum !== undefined && args.quorum !== 'majority' && args.quorum !== 'two-thirds') throw new UsageError(`--quorum: expected majority or two-thirds, got ${args.quorum}`);
      refuseExisting(args.out);
      let network: Network;
      try {
        network = parseNetwork({ name: args.name, period_ms: periodMs, blackout_ms: blackoutMs, skew_ms: skewMs, servers, genesis, ...(args.quorum === 'two-thirds' ? { quorum: 'two-thirds' } : {}) });
      } catch (error) {
        // The file's fields, named as the flags that gave them.
        if (!isScrypError(error, 'BAD_NETWORK_FILE')) throw error;
        throw new UsageError(
          error.message
            .replace(/^BAD_NETWORK_FILE: /, '')
            .replace(/^servers\[(\d+)\]\.(key|ip)/, (_, i: string) => `--server #${Number(i) + 1}`)
            .replace(/^genesis\[(\d+)\]\.(account|balance)/, (_, i: string) => `--genesis #${Number(i) + 1}`)
            .replace(/^name:/, '--name:'),
        );
      }
      const warnings = networkWarnings(network);
      warn(warnings, args.json);
      writeNew(args.out, `${JSON.stringify(networkToJson(network), null, 2)}\n`);
      if (args.json) print(JSON.stringify({ file: args.out, ...summaryJson(network, warnings) }));
      else {
        process.stderr.write(`wrote ${args.out}: network ${network.name}, ${network.servers.length} servers, supply ${amountText(network.supply)}; give this same file to every server\n`);
        print(toHex(network.id));
      }
    }),
});

const checkCommand = defineCommand({
  meta: { name: 'check', description: 'Read a network file, check every field, and print its id and what it holds (with warnings for risky choices); exit code 1 if it is not valid' },
  args: {
    file: { type: 'positional', description: 'the network file', required: true, valueHint: 'FILE' },
    ...logArgs,
  },
  run: ({ args }) =>
    action(() => {
      setupLogs(args);
      const network = loadNetworkFile(args.file);
      const warnings = networkWarnings(network);
      if (args.json) print(JSON.stringify({ file: args.file, ...summaryJson(network, warnings) }));
      else for (const line of describeNetwork(network)) print(line);
      warn(warnings, args.json);
    }),
});

export const networkCommand = defineCommand({
  meta: { name: 'network', description: 'Form a network and change its servers: write its file (new), check one (check), change the server set (change, sign, submit) and show the servers in force (show)' },
  subCommands: { new: newCommand, check: checkCommand, change: changeCommand, sign: signCommand, submit: submitCommand, show: showCommand },
});
