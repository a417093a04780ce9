// What every command that asks the servers does first and last (balance, status, history,
// evidence, pay): a UDP client, and the network as it is now: the servers a committed change
// put in charge, each where it is now (PROTOCOL §3.10, §6.11), learnt from the servers and
// checked from the network file. The client is closed when the command ends, however it ends.

import { learnServers, networkInForce } from '../client/addresses.ts';
import { UdpClient } from '../client/udp-client.ts';
import type { Network } from '../network.ts';
import { readKnownServers, writeKnownServers } from './known-servers.ts';

export async function askingServers<T>(fileNetwork: Network, body: (client: UdpClient, network: Network) => Promise<T>): Promise<T> {
  const client = await UdpClient.open();
  try {
    return await body(client, await networkInForce(client, fileNetwork));
  } finally {
    client.close();
  }
}

/**
 * As askingServers, for `scryp pay`, which must sign within a few ms of starting: the network
 * in force as DIR/known-servers.json says (checked from the network file), at once, without
 * a round trip; the servers are asked again once `refresh` is called (when the payment is on
 * its way), and what they prove is kept in DIR for the next time. Without a usable file, the
 * servers are asked first, as askingServers does, and the file written.
 */
export async function askingKnownServers<T>(
  dir: string,
  fileNetwork: Network,
  body: (client: UdpClient, network: Network, servers: { refresh(): void; current(): Network }) => Promise<T>,
): Promise<T> {
  const client = await UdpClient.open();
  try {
    const known = readKnownServers(dir, fileNetwork);
    let current = known?.network ?? fileNetwork;
    const learn = async (): Promise<void> => {
      const learned = await learnServers(client, fileNetwork);
      current = learned.network;
      if (learned.chain === null) return; // no server answered: nothing proven to keep
      try {
        writeKnownServers(dir, fileNetwork, learned.chain, learned.records);
      } catch {
        // a directory we cannot write to: the next payment asks first, as before
      }
    };
    if (known === null) await learn();
    let refreshing: Promise<void> | null = null;
    const refresh = () => {
      if (known !== null && refreshing === null) refreshing = learn().catch(() => {});
    };
    const result = await body(client, current, { refresh, current: () => current });
    await refreshing; // kept before the command ends (it ran while the payment was waiting)
    return result;
  } finally {
    client.close();
  }
}
