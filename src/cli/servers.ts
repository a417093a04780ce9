// What every command that asks the servers does first and last (balance, status, history,
// evidence, pay): a UDP client, and the network as it is now: the servers a committed change
// put in charge, each where it is now (PROTOCOL §3.10, §6.11), learnt from the servers and
// checked from the network file. The client is closed when the command ends, however it ends.

import { networkInForce } from '../client/addresses.ts';
import { UdpClient } from '../client/udp-client.ts';
import type { Network } from '../network.ts';

export async function askingServers<T>(fileNetwork: Network, body: (client: UdpClient, network: Network) => Promise<T>): Promise<T> {
  const client = await UdpClient.open();
  try {
    return await body(client, await networkInForce(client, fileNetwork));
  } finally {
    client.close();
  }
}
