import { defineCommand } from 'citty';
import { existsSync } from 'node:fs';
import { toHex } from '../bytes.ts';
import { key_bytes } from '../constants.ts';
import { pay } from '../client/wallet.ts';
import { UdpClient } from '../client/udp-client.ts';
import { logger } from '../log.ts';
import { formatAddress } from '../ip.ts';
import { readSeed, seedPath } from '../seed.ts';
import { signerFromSeed } from '../signature.ts';
import { action, addressArg, chooseNetwork, exit_code, hexArg, integerArg, logArgs, networkArg, print, setupLogs, UsageError } from './common.ts';

export const keyArg = (text: string | undefined, field: string): Uint8Array => hexArg(text, key_bytes, field);

export const payCommand = defineCommand({
  meta: {
    name: 'pay',
    description:
      'Sign a payment with DIR/.seed, send it (resending on loss), and wait until it is committed, void or refused. Exit code 0 only when committed.',
  },
  args: {
    dir: { type: 'string', description: 'the paying wallet\'s directory (its .seed)', required: true, valueHint: 'DIR' },
    to: { type: 'string', description: 'the payee\'s key, 64 hex characters', required: true, valueHint: 'KEY' },
    amount: { type: 'string', description: 'scryp to pay, 1..4294967295', required: true, valueHint: 'N' },
    server: { type: 'string', description: 'the server to send to (default: the first server of the network)', valueHint: 'HOST:PORT' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const network = chooseNetwork(args.network);
      if (!args.dir) throw new UsageError('--dir is required');
      if (!existsSync(seedPath(args.dir))) throw new UsageError(`no wallet in ${args.dir}: create one with scryp keygen --dir ${args.dir}`);
      const signer = signerFromSeed(readSeed(args.dir));
      const to = keyArg(args.to, '--to');
      const amount = integerArg(args.amount, '--amount', 1, 0xffff_ffff);
      let server = 0;
      if (args.server !== undefined) {
        const address = formatAddress(addressArg(args.server, '--server'));
        server = network.servers.findIndex((entry) => formatAddress(entry.address) === address);
        if (server < 0) throw new UsageError(`--server ${address} is not a server of network ${network.name}`);
      }
      const log = logger('pay');
      const client = await UdpClient.open();
      try {
        const end = await pay(client, network, signer, { to, amount, server, onProgress: (message) => log.info(message) });
        const txid = end.txid === null ? null : toHex(end.txid);
        if (args.json) print(JSON.stringify({ ...end, txid, from: toHex(signer.publicKey), to: toHex(to), amount }));
        switch (end.outcome) {
          case 'committed':
            if (!args.json) print(`committed: ${amount} scryp to ${toHex(to)} in period ${end.period} (txid ${txid})`);
            return exit_code.ok;
          case 'void':
            if (!args.json) print(`void: period ${end.period} was decided without this payment; nothing was paid (txid ${txid}). Send it again.`);
            return exit_code.refused;
          case 'refused':
            if (!args.json) print(`refused: ${end.status}${txid === null ? '' : ` (txid ${txid})`}`);
            return exit_code.refused;
          case 'timeout':
            if (!args.json) print(`no outcome yet${txid === null ? '' : ` for txid ${txid}`}: ask later with scryp status ${txid ?? 'TXID'}`);
            return exit_code.timeout;
        }
      } finally {
        client.close();
      }
    }),
});
