// The wallet's balance (WalletService.balance, the overview of both `scryp wallet` and the
// pocket wallet): BALANCE goes to the servers last known while refreshAddresses learns which
// servers are in force and where they are; those answers count only when the same servers,
// at the same addresses, turn out to be in force. Over a scripted transport (no sockets):
// which requests went where, and what the overview then says.

import { describe, expect, test } from 'bun:test';
import { Kind, type Reply, Status } from '../src/client/codec.ts';
import { type AskOptions, type ClientTransport, ReplyTimeout, type RequestSpec } from '../src/client/transport.ts';
import { toHex } from '../src/bytes.ts';
import { formatAddress } from '../src/ip.ts';
import type { Network } from '../src/network.ts';
import { WalletService } from '../src/wallet/service.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const committedPeriod = 41;

/**
 * Answers CONFIG (no change committed) and BALANCE at the addresses `balanceAt` gives a
 * balance for (elsewhere: silence); logs every request as it is sent and every answer as it
 * comes back.
 */
function scripted(keysAt: () => Network, balanceAt: (address: string) => number | null): ClientTransport & { log: { event: 'ask' | 'answer'; kind: number; at: string }[] } {
  const log: { event: 'ask' | 'answer'; kind: number; at: string }[] = [];
  return {
    log,
    async ask(target, spec: RequestSpec, options: AskOptions): Promise<Reply> {
      const at = formatAddress(target);
      log.push({ event: 'ask', kind: spec.kind, at });
      await Bun.sleep(1); // a reply comes later than its request
      const server = keysAt().servers.find((entry) => formatAddress(entry.address) === at);
      const balance = balanceAt(at);
      if (server === undefined || balance === null) throw new ReplyTimeout(at, options.attempts ?? 1, 'no answer in time');
      log.push({ event: 'answer', kind: spec.kind, at });
      const reply = { requestId: 1, status: Status.OK, serverKey: server.key, signature: new Uint8Array(64), signed: new Uint8Array(0) };
      if (spec.kind === Kind.CONFIG) {
        return { ...reply, kind: Kind.CONFIG, body: { changes: 0, latest: 0, latestFirst: 0, committedPeriod, index: 0, total: 0, offset: 0, chunk: new Uint8Array(0) } } as Reply;
      }
      if (spec.kind === Kind.BALANCE) return { ...reply, kind: Kind.BALANCE, body: { account: spec.account, balance, committedPeriod, stateHash: new Uint8Array(32) } } as Reply;
      throw new Error(`not scripted: kind ${spec.kind}`);
    },
  };
}

const balancesAsked = (client: { log: { event: string; kind: number; at: string }[] }) => client.log.filter((entry) => entry.event === 'ask' && entry.kind === Kind.BALANCE).map((entry) => entry.at);

function service(network: Network, client: ClientTransport, located: Network): WalletService {
  return new WalletService({
    network,
    account: new Uint8Array(32).fill(7),
    signer: () => {
      throw new Error('nothing is signed here');
    },
    client,
    contacts: { load: () => ({ contacts: [], problem: null }), save: () => {} },
    locate: async () => located,
    log: { info: () => {}, error: () => {} },
  });
}

describe('the balance is asked while the servers in force are learnt', () => {
  test('the same servers in force: one BALANCE per server, all sent before CONFIG is answered, and the balance agreed', async () => {
    const { network } = testNetwork({ servers: 3 });
    const client = scripted(() => network, () => 1234);
    const overview = await service(network, client, network).overview();
    expect(overview.balance.balance).toBe(1234);
    expect(overview.balance.agreeing).toEqual([0, 1, 2]);
    expect(balancesAsked(client)).toHaveLength(3);
    const lastBalanceAsked = client.log.findLastIndex((entry) => entry.event === 'ask' && entry.kind === Kind.BALANCE);
    const firstConfigAnswered = client.log.findIndex((entry) => entry.event === 'answer' && entry.kind === Kind.CONFIG);
    expect(lastBalanceAsked).toBeLessThan(firstConfigAnswered);
  });

  test('servers that moved: what their old addresses answer does not count; they are asked again where they are now', async () => {
    const { network } = testNetwork({ servers: 3 });
    const moved: Network = { ...network, servers: network.servers.map((server) => ({ ...server, address: { ...server.address, port: server.address.port + 1000 } })) };
    const old = new Set(network.servers.map((server) => formatAddress(server.address)));
    // Something still answers at the old addresses, with the same keys, but a stale balance.
    const both: Network = { ...network, servers: [...network.servers, ...moved.servers] };
    const client = scripted(() => both, (at) => (old.has(at) ? 98 : 99));
    const overview = await service(network, client, moved).overview();
    expect(overview.balance.balance).toBe(99);
    expect(overview.balance.agreeing).toEqual([0, 1, 2]);
    const balances = balancesAsked(client);
    expect(balances.slice(0, 3).sort()).toEqual([...old].sort());
    expect(balances.slice(3).sort()).toEqual(moved.servers.map((server) => formatAddress(server.address)).sort());
  });

  test('other servers in force (other keys): the early answers are dropped, even those that agree, and the servers in force asked', async () => {
    const { network } = testNetwork({ servers: 3 });
    const others = network.servers.map((server, index) => {
      const key = testSigner(`another server ${index}`).publicKey;
      return { ...server, key, keyHex: toHex(key) };
    });
    const inForce: Network = { ...network, servers: others };
    const client = scripted(() => inForce, () => 5); // at the same addresses: only the keys differ
    const overview = await service(network, client, inForce).overview();
    expect(overview.balance.balance).toBe(5);
    expect(overview.balance.agreeing).toEqual([0, 1, 2]);
    expect(balancesAsked(client)).toHaveLength(6);
  });
});
