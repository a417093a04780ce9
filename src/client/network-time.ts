// The network's time, for a client whose own clock may be off (a phone set by hand, a
// laptop after a long sleep): payments are stamped with it (PROTOCOL §12.4), so that the
// alpha does not refuse them BAD_TIME. Every server in force is asked INFO; each reply is
// signed (the transport checked it) and carries the server's `now`. One sample estimates
// the offset as now_server − (sent + received) / 2: the server read its clock about half
// way through the round trip. The network's offset is the median of the samples, taken
// only when a majority of the servers answered, so that a minority whose clocks are off,
// or who lie, cannot move it outside the range of the honest ones.

import type { Network } from '../network.ts';
import { Kind, type InfoBody, Status } from './codec.ts';
import type { ClientTransport } from './transport.ts';

export interface TimeSample {
  readonly server: number;
  /** The server's clock minus ours, in ms. */
  readonly offsetMs: number;
  readonly roundTripMs: number;
}

/** One sample from a reply that arrived `receivedAt` to a request sent `sentAt` (our clock), carrying the server's `now`. */
export function sampleOf(server: number, sentAt: number, receivedAt: number, serverNow: number): TimeSample {
  return { server, offsetMs: Math.round(serverNow - (sentAt + receivedAt) / 2), roundTripMs: receivedAt - sentAt };
}

/** The median offset of the samples when a majority of the network's servers gave one; null otherwise. */
export function networkOffset(network: Network, samples: readonly TimeSample[]): number | null {
  if (samples.length < network.majority) return null;
  const sorted = samples.map((sample) => sample.offsetMs).sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

/** Asks every server INFO at once; the offset (null: too few answered) and the samples it rests on. */
export async function learnNetworkTime(client: ClientTransport, network: Network, clock: () => number = Date.now): Promise<{ offsetMs: number | null; samples: TimeSample[] }> {
  const samples: TimeSample[] = [];
  await Promise.all(
    network.servers.map(async (server, index) => {
      const sentAt = clock();
      try {
        const reply = await client.ask(server.address, { kind: Kind.INFO }, { networkId: network.id, serverKey: server.key, serverCount: network.servers.length, attempts: 2, timeoutMs: 250 });
        if (reply.status === Status.OK && reply.body !== null && 'now' in reply.body) samples.push(sampleOf(index, sentAt, clock(), (reply.body as InfoBody).now));
      } catch {
        // silent: the others tell the time
      }
    }),
  );
  return { offsetMs: networkOffset(network, samples), samples };
}
