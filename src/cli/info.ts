import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { equal, toHex } from '../bytes.ts';
import { type InfoBody, Kind, Status, statusName } from '../client/codec.ts';
import { UdpClient } from '../client/udp-client.ts';
import { serverIndexOf } from '../network.ts';
import { action, addressArg, chooseNetwork, exit_code, logArgs, networkArg, print, setupLogs } from './common.ts';

export const infoCommand = defineCommand({
  meta: { name: 'info', description: 'Ask a server who it is and where it stands (signed INFO over UDP, with resends)' },
  args: {
    server: { type: 'positional', description: 'the server, HOST:PORT', required: true, valueHint: 'HOST:PORT' },
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const target = addressArg(args.server, 'HOST:PORT');
      const network = chooseNetwork(args.network);
      const client = await UdpClient.open();
      try {
        // Verified against the network id the server states; then compared with ours.
        const reply = await client.ask(target, { kind: Kind.INFO }, { attempts: 5, timeoutMs: 200 });
        if (reply.status !== Status.OK || reply.body === null || !('lastHeard' in reply.body)) {
          process.stderr.write(`scryp: ${args.server} answered ${statusName[reply.status]}\n`);
          return exit_code.refused;
        }
        const info = reply.body;
        const sameNetwork = equal(info.networkId, network.id);
        const knownKey = sameNetwork && serverIndexOf(network, reply.serverKey) === info.serverIndex;
        if (args.json) {
          print(JSON.stringify({ ...infoJson(info), serverKey: toHex(reply.serverKey), serverAddress: encodeAddress(reply.serverKey), network: sameNetwork ? network.name : null, knownKey }));
        } else {
          for (const line of formatInfo(info, reply.serverKey)) print(line);
          if (!sameNetwork) print(`warning: this server is not on network ${network.name} (${toHex(network.id).slice(0, 16)}…)`);
          else if (!knownKey) print(`warning: key ${toHex(reply.serverKey).slice(0, 16)}… is not server ${info.serverIndex} of ${network.name}`);
        }
        return sameNetwork && knownKey ? exit_code.ok : exit_code.refused;
      } finally {
        client.close();
      }
    }),
});

export function infoJson(info: InfoBody): object {
  return {
    networkId: toHex(info.networkId),
    serverIndex: info.serverIndex,
    serverCount: info.serverCount,
    now: info.now,
    currentPeriod: info.currentPeriod,
    alphaIndex: info.alphaIndex,
    committedPeriod: info.committedPeriod,
    stateHash: toHex(info.stateHash),
    lastHeard: info.lastHeard,
  };
}

export function formatInfo(info: InfoBody, serverKey: Uint8Array): string[] {
  const heard = info.lastHeard.map((period, i) => {
    if (i === info.serverIndex) return `server ${i}: this one`;
    if (period === 0) return `server ${i}: never`;
    const ago = info.currentPeriod - period;
    return `server ${i}: period ${period}${ago === 0 ? ' (this period)' : ` (${ago} ago)`}`;
  });
  return [
    `server ${info.serverIndex} of ${info.serverCount}, key ${toHex(serverKey)} (address ${encodeAddress(serverKey)})`,
    `network ${toHex(info.networkId)}`,
    `time ${new Date(info.now).toISOString()}, period ${info.currentPeriod}, alpha server ${info.alphaIndex}`,
    `committed period ${info.committedPeriod}, state hash ${toHex(info.stateHash)}`,
    `last heard: ${heard.join('; ')}`,
  ];
}
