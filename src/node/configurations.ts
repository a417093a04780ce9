// Who takes part in deciding a period: the configurations of the network as this server
// knows them (consensus/configuration.ts, PROTOCOL §8.13), and the directory of servers.
//
// Inside the node a server is named by its directory id: the servers of the network file
// first, in its order, then every key a committed change brought in, in the order the
// changes list them. The ids never change, so the node's per-server tables (who was heard
// when, recent votes, the transport's links) only grow; with no change committed, a
// server's id is its index in the network file, as on the wire since version 1.
//
// The configuration that decides a period is a function of its parent (configurationAt):
// its rotation gives the alpha and the beta, its members vote, its quorum certifies.

import { equal, toHex } from '../bytes.ts';
import { assert } from '../errors.ts';
import type { Address } from '../ip.ts';
import type { Network } from '../network.ts';
import {
  type CommittedChange,
  type Configuration,
  configurationAt,
  configurationsOf,
  type Verify,
} from '../consensus/configuration.ts';
import type { VoteChecker } from '../consensus/vote.ts';

/** A configuration with its servers as directory ids, in rotation order. */
export interface Membership {
  readonly configuration: Configuration;
  /** Position i of the rotation is directory id ids[i]. */
  readonly ids: readonly number[];
  readonly quorum: number;
  /** Directory id → whether it is a member. */
  readonly members: ReadonlySet<number>;
  /** The certificate checker of this configuration: member keys by directory id, its quorum. */
  readonly checker: VoteChecker;
}

export interface DirectoryEntry {
  readonly id: number;
  readonly key: Uint8Array;
  readonly keyHex: string;
}

export class Configurations {
  readonly directory: DirectoryEntry[] = [];
  private readonly idByKey = new Map<string, number>();
  private configurations: Configuration[] = [];
  private carriers: number[] = [];
  private committedChain: readonly CommittedChange[] = [];
  /** The last answers of at() and alphaOf(): every client request asks (isAvailable, the alpha), almost always for the same period. */
  private lastAt: { parent: number; membership: Membership } | null = null;
  private lastAlpha: { period: number; parent: number; id: number } | null = null;
  private memberships: Membership[] = [];

  constructor(
    private readonly network: Network,
    private readonly genesisHash: Uint8Array,
    private readonly verify: Verify,
    chain: readonly CommittedChange[] = [],
  ) {
    this.load(chain);
  }

  /** Replaces what is known with a chain of committed changes, checked from the network file. */
  load(chain: readonly CommittedChange[]): void {
    this.configurations = configurationsOf(this.network, chain, this.verify);
    this.committedChain = chain.slice();
    this.lastAt = null;
    this.lastAlpha = null;
    this.carriers = [0, ...chain.map((entry) => entry.carrier)];
    for (const configuration of this.configurations) for (const server of configuration.servers) this.idOf(server.key, true);
    this.memberships = this.configurations.map((configuration) => this.buildMembership(configuration));
  }

  /** The directory id of a key, or -1 when no configuration ever named it. */
  idOf(key: Uint8Array, add = false): number {
    const hex = toHex(key);
    let id = this.idByKey.get(hex);
    if (id === undefined) {
      if (!add) return -1;
      id = this.directory.length;
      this.directory.push({ id, key, keyHex: hex });
      this.idByKey.set(hex, id);
    }
    return id;
  }

  /**
   * The address a server was given: by the newest configuration that lists it, or the
   * network file (a signed address record may have moved it since: node/addresses.ts).
   */
  addressOf(id: number): Address {
    const key = this.directory[id]?.key;
    assert(key !== undefined, 'a server of the directory');
    for (let i = this.configurations.length - 1; i >= 0; i--) {
      const server = this.configurations[i]!.servers.find((entry) => equal(entry.key, key));
      if (server !== undefined) return server.address;
    }
    throw new Error('assertion failed: every directory entry is named by a configuration');
  }

  /** The committed changes these configurations were built from, oldest first (what the state hash binds). */
  get chain(): readonly CommittedChange[] {
    return this.committedChain;
  }

  keyOf(id: number): Uint8Array | undefined {
    return this.directory[id]?.key;
  }

  get size(): number {
    return this.directory.length;
  }

  /** The membership that decides a period built on committed period `parent`. */
  at(parent: number): Membership {
    if (this.lastAt !== null && this.lastAt.parent === parent) return this.lastAt.membership;
    const configuration = configurationAt(this.configurations, this.carriers, parent);
    const membership = this.memberships[configuration.number];
    assert(membership !== undefined, 'every configuration has its membership');
    this.lastAt = { parent, membership };
    return membership;
  }

  /**
   * The server whose turn period `period` is (its alpha, and the beta that proposes it),
   * on committed period `parent`: the rotation of the newest configuration the parent's
   * chain starts by `period`. Who votes is at(parent); who takes turns may be the next
   * configuration already when the periods before its first are void, so that the alpha
   * that took a period's payments is the beta that proposes them (found by the simulator:
   * payments lost when the period before a change's first was void).
   */
  alphaOf(period: number, parent: number): number {
    const last = this.lastAlpha;
    if (last !== null && last.period === period && last.parent === parent) return last.id;
    const configuration = configurationAt(this.configurations, this.carriers, parent, period);
    const ids = this.memberships[configuration.number]!.ids;
    const id = ids[period % ids.length]!;
    this.lastAlpha = { period, parent, id };
    return id;
  }

  membershipOf(number: number): Membership {
    const membership = this.memberships[number];
    assert(membership !== undefined, 'a known configuration');
    return membership;
  }

  get latest(): Configuration {
    return this.configurations[this.configurations.length - 1]!;
  }

  private buildMembership(configuration: Configuration): Membership {
    const ids = configuration.servers.map((server) => this.idOf(server.key));
    const serverKeys: Uint8Array[] = [];
    for (const id of ids) serverKeys[id] = this.directory[id]!.key;
    return {
      configuration,
      ids,
      quorum: configuration.quorum,
      members: new Set(ids),
      checker: { networkId: this.network.id, serverKeys, quorum: configuration.quorum, mode: this.network.quorumMode, genesisHash: this.genesisHash, verify: this.verify },
    };
  }
}
