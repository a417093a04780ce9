// Watching a cluster while faults happen:
//
// - INFO from every running server every 100 ms: a server's committed period never goes
//   back, not even across a restart, and servers that committed the same period hold the
//   same state hash for it;
// - each server's archive (the periods table of its ledger.sqlite, read directly, as of its
//   last commit) every second and whenever asked (right after a kill -9): a period once in
//   a server's archive stays there with the very same certificate bytes, and two servers
//   hold the same decision (parent, state hash) for a period;
// - how long the servers take to be back in step after a fault ends.

import { Database } from 'bun:sqlite';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../src/bytes.ts';
import type { InfoBody } from '../../src/client/codec.ts';
import { readCertificateBytes } from '../helpers/ledger-check.ts';
import type { FaultCluster } from './cluster.ts';

export interface ArchiveRow {
  readonly certificateDigest: string;
  readonly parent: number;
  readonly stateHash: string;
  /** The servers whose votes make up the certificate. */
  readonly voters: readonly number[];
}

export interface Archive {
  readonly committed: number;
  readonly archiveFrom: number;
  readonly periods: Map<number, ArchiveRow>;
}

/** A server's committed period and archive, read from its ledger file; null if it cannot be read now. */
export function readArchive(dir: string): Archive | null {
  let db: Database | null = null;
  try {
    db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
    const meta = (key: string) => (db!.query('SELECT value FROM meta WHERE key = ?').get(key) as { value: Uint8Array } | null)?.value;
    const committedBytes = meta('committed');
    const archiveFromBytes = meta('archive_from');
    if (committedBytes === undefined || archiveFromBytes === undefined) return null;
    const periods = new Map<number, ArchiveRow>();
    for (const row of db.query('SELECT period, certificate FROM periods').all() as { period: number; certificate: Uint8Array }[]) {
      const certificate = readCertificateBytes(row.certificate);
      periods.set(row.period, {
        certificateDigest: createHash('sha256').update(row.certificate).digest('hex'),
        parent: certificate.parent,
        stateHash: toHex(certificate.hash),
        voters: certificate.votes.map((vote) => vote.voter),
      });
    }
    return {
      committed: readCertificateBytes(committedBytes).period,
      archiveFrom: Number(new DataView(archiveFromBytes.buffer, archiveFromBytes.byteOffset).getBigUint64(0)),
      periods,
    };
  } catch {
    return null; // mid-creation, or a disk in a fault: the next sample will tell
  } finally {
    db?.close();
  }
}

export interface InfoSample {
  readonly at: number;
  readonly server: number;
  readonly committed: number;
  readonly hash: string;
  readonly current: number;
  readonly lastHeard: readonly number[];
}

export class ClusterWatch {
  readonly samples: InfoSample[] = [];
  /** Every broken invariant seen, in words; the test asserts this stays empty. */
  readonly violations: string[] = [];
  /** Servers whose ledger file is not read while this holds (a disk in a fault). */
  readonly archivePaused = new Set<number>();
  archiveSamples = 0;
  private readonly highest = new Map<number, { committed: number; at: number }>();
  /** Per server, the INFO answers in the order they arrived: (arrival time, running maximum of committed). */
  private readonly arrivals = new Map<number, { at: number; maxCommitted: number }[]>();
  private readonly hashOfPeriod = new Map<number, string>();
  private readonly archives = new Map<number, Archive>();
  private readonly decisions = new Map<number, { parent: number; stateHash: string; server: number }>();
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly cluster: FaultCluster) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let lastArchiveAt = 0;
    while (this.running) {
      await this.pollInfo();
      if (Date.now() - lastArchiveAt >= 1_000) {
        lastArchiveAt = Date.now();
        for (const server of this.cluster.servers) if (server.process !== null) this.checkArchive(server.index);
      }
      await Bun.sleep(100);
    }
  }

  /** INFO from every running server, once; records and checks what it says. */
  async pollInfo(): Promise<(InfoBody | null)[]> {
    const sentAt = Date.now();
    const infos = await Promise.all(this.cluster.servers.map((server) => (server.process === null ? null : this.cluster.info(server.index))));
    infos.forEach((info, server) => {
      if (info !== null) this.record(server, info, sentAt);
    });
    return infos;
  }

  /**
   * One INFO answer to a request sent at `sentAt`. Polls overlap, and a late answer may be
   * older than one that came before it: it is compared only with the answers that had
   * arrived before its request left.
   */
  private record(server: number, info: InfoBody, sentAt: number): void {
    const at = Date.now();
    const hash = toHex(info.stateHash);
    this.samples.push({ at, server, committed: info.committedPeriod, hash, current: info.currentPeriod, lastHeard: [...info.lastHeard] });
    let arrivals = this.arrivals.get(server);
    if (arrivals === undefined) this.arrivals.set(server, (arrivals = []));
    let i = arrivals.length - 1;
    while (i >= 0 && arrivals[i]!.at > sentAt) i--;
    const before = i >= 0 ? arrivals[i]!.maxCommitted : -1;
    if (info.committedPeriod < before) {
      this.violations.push(`server ${server}: committed period went back from ${before} to ${info.committedPeriod} (INFO)`);
    }
    arrivals.push({ at, maxCommitted: Math.max(info.committedPeriod, arrivals[arrivals.length - 1]?.maxCommitted ?? -1) });
    if (arrivals.length > 4096) arrivals.splice(0, 2048);
    const previous = this.highest.get(server);
    if (previous === undefined || info.committedPeriod > previous.committed) this.highest.set(server, { committed: info.committedPeriod, at });
    const known = this.hashOfPeriod.get(info.committedPeriod);
    if (known === undefined) this.hashOfPeriod.set(info.committedPeriod, hash);
    else if (known !== hash) this.violations.push(`server ${server}: period ${info.committedPeriod} committed with hash ${hash.slice(0, 16)}, another server ${known.slice(0, 16)} (INFO)`);
  }

  /** Reads a server's archive now and checks it against what was read before. */
  checkArchive(server: number): Archive | null {
    if (this.archivePaused.has(server)) return null;
    const archive = readArchive(this.cluster.servers[server]!.dir);
    if (archive === null) return null;
    this.archiveSamples++;
    const before = this.archives.get(server);
    if (before !== undefined) {
      if (archive.committed < before.committed) this.violations.push(`server ${server}: committed period went back from ${before.committed} to ${archive.committed} (ledger)`);
      for (const [period, row] of before.periods) {
        const now = archive.periods.get(period);
        if (now === undefined) this.violations.push(`server ${server}: period ${period} left the archive`);
        else if (now.certificateDigest !== row.certificateDigest) this.violations.push(`server ${server}: period ${period} changed its certificate in the archive`);
      }
    }
    for (const [period, row] of archive.periods) {
      const decision = this.decisions.get(period);
      if (decision === undefined) this.decisions.set(period, { parent: row.parent, stateHash: row.stateHash, server });
      else if (decision.parent !== row.parent || decision.stateHash !== row.stateHash) {
        this.violations.push(`period ${period}: server ${server} archived parent ${row.parent} hash ${row.stateHash.slice(0, 16)}, server ${decision.server} parent ${decision.parent} hash ${decision.stateHash.slice(0, 16)}`);
      }
    }
    this.archives.set(server, archive);
    return archive;
  }

  /** The archive last read for a server. */
  archiveOf(server: number): Archive | null {
    return this.archives.get(server) ?? null;
  }

  /** The highest committed period INFO showed for a server. */
  committedOf(server: number): number {
    return this.highest.get(server)?.committed ?? 0;
  }

  /** INFO samples of one server between two instants. */
  samplesOf(server: number, from: number, to: number): InfoSample[] {
    return this.samples.filter((sample) => sample.server === server && sample.at >= from && sample.at <= to);
  }

  /**
   * Polls INFO every 20 ms until every server in `servers` answers with the same committed
   * period, at least `atLeast`, and the same state hash. Returns the milliseconds from
   * `since`, or null after `timeoutMs` (with what was last seen in `lastSeen`).
   */
  async inStep(servers: readonly number[], since: number, atLeast: number, timeoutMs: number): Promise<{ ms: number | null; lastSeen: string }> {
    const deadline = since + timeoutMs;
    let lastSeen = '';
    for (;;) {
      const sentAt = Date.now();
      const infos = await Promise.all(servers.map((server) => this.cluster.info(server)));
      const at = Date.now();
      infos.forEach((info, i) => {
        if (info !== null) this.record(servers[i]!, info, sentAt);
      });
      lastSeen = infos.map((info, i) => `server ${servers[i]}: ${info === null ? 'no answer' : `committed ${info.committedPeriod} ${toHex(info.stateHash).slice(0, 12)}`}`).join('; ');
      const first = infos[0];
      if (
        first !== null &&
        first !== undefined &&
        first.committedPeriod >= atLeast &&
        infos.every((info) => info !== null && info.committedPeriod === first.committedPeriod && toHex(info.stateHash) === toHex(first.stateHash))
      ) {
        return { ms: at - since, lastSeen };
      }
      if (at >= deadline) return { ms: null, lastSeen };
      await Bun.sleep(20);
    }
  }
}
