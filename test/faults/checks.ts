// What must hold at the end of every scenario.
//
// accountPayments (servers running): every payment the load signed is decided by a
// majority, the way a wallet reads STATUS (PROTOCOL.md 6.6): COMMITTED, or void (VOID, or
// UNKNOWN with a committed period ≥ the payment's period); no server says COMMITTED while
// another says void; a COMMITTED answer names the payment's own period.
//
// checkLedgers (servers stopped): every ledger file is consistent (test/helpers/ledger-check:
// the stored state has its certified hash, balances sum to the genesis supply, the archive
// chains, no txid applied twice); servers agree on every period they both archived; a
// payment a majority reported COMMITTED is applied on every server (or lies before the
// snapshot a server was restored from, whose hash then vouches for it); a payment a
// majority reported void is applied nowhere; nothing is applied that the load did not send.

import { fromHex } from '../../src/bytes.ts';
import { Kind, PaymentState, Status, type StatusBody } from '../../src/client/codec.ts';
import type { Network } from '../../src/network.ts';
import { checkLedger, type LedgerReport } from '../helpers/ledger-check.ts';
import type { FaultCluster } from './cluster.ts';
import type { Payment } from './load.ts';
import { readArchive } from './watch.ts';

export type Outcome = 'committed' | 'void' | 'undecided';

export interface Verdict {
  readonly payment: Payment;
  readonly outcome: Outcome;
  /** What each server said, for messages. */
  readonly said: string[];
}

export interface Accounting {
  readonly verdicts: Verdict[];
  readonly committed: number;
  readonly void: number;
  readonly acceptedCommitted: number;
  readonly acceptedVoid: number;
  readonly problems: string[];
}

function reading(payment: Payment, reply: { status: number; body: unknown } | null): { outcome: Outcome; said: string } {
  if (reply === null) return { outcome: 'undecided', said: 'no answer' };
  if (reply.status !== Status.OK) return { outcome: 'undecided', said: `status ${reply.status}` };
  const body = reply.body as StatusBody;
  switch (body.state) {
    case PaymentState.COMMITTED:
      return { outcome: 'committed', said: `COMMITTED ${body.period}` };
    case PaymentState.VOID:
      return { outcome: 'void', said: `VOID ${body.period}` };
    case PaymentState.PENDING:
      return { outcome: 'undecided', said: `PENDING ${body.period}` };
    default:
      return { outcome: body.period >= payment.period && body.period > 0 ? 'void' : 'undecided', said: `UNKNOWN ${body.period}` };
  }
}

export interface AccountingOptions {
  /** The servers to ask (default: every server of the cluster). */
  readonly servers?: readonly number[];
  /**
   * What each server's ledger holds, read from its file just before (default: every period
   * since genesis, and a server's UNKNOWN answers are read as in PROTOCOL §6.6). A server
   * that joined by a snapshot taken at period a answers UNKNOWN 0 to any txid it has no
   * record of, since it cannot tell a payment's period from its txid; the test can (the
   * payment's timestamp). So a payment of period k ≤ a is left out of that server's count
   * (it cannot know: the payment is decided by a majority of those that can), and for
   * a < k ≤ c (its committed period then) UNKNOWN 0 reads as void: it holds the records of
   * every period a+1 … c, and the payment is in none.
   */
  readonly holds?: ReadonlyMap<number, { readonly archiveFrom: number; readonly committed: number }>;
}

/** Asks every server the STATUS of every payment (64 at a time) and decides each by majority. */
export async function accountPayments(cluster: FaultCluster, payments: readonly Payment[], options: AccountingOptions = {}): Promise<Accounting> {
  const verdicts: Verdict[] = [];
  const problems: string[] = [];
  const servers = options.servers ?? cluster.indexes;
  const holds = options.holds;
  const knows = holds === undefined ? undefined : (server: number, payment: Payment) => payment.period > (holds.get(server)?.archiveFrom ?? Number.MAX_SAFE_INTEGER);
  const read = (server: number, payment: Payment, reply: { status: number; body: unknown } | null): { outcome: Outcome; said: string } => {
    const r = reading(payment, reply);
    const held = holds?.get(server);
    if (held === undefined || held.archiveFrom === 0 || r.said !== 'UNKNOWN 0') return r;
    return payment.period > held.archiveFrom && payment.period <= held.committed ? { outcome: 'void', said: `UNKNOWN 0 (holds ${held.archiveFrom + 1}…${held.committed})` } : r;
  };
  for (let from = 0; from < payments.length; from += 64) {
    const chunk = payments.slice(from, from + 64);
    const answered = await Promise.all(
      chunk.map(async (payment) => {
        const replies = await Promise.all(servers.map((server) => cluster.ask(server, { kind: Kind.STATUS, txid: fromHex(payment.txid, 32, 'txid') }, 4, 100)));
        return { payment, readings: replies.map((reply, i) => read(servers[i]!, payment, reply)) };
      }),
    );
    for (const { payment, readings: all } of answered) {
      const counted = knows === undefined ? servers.map(() => true) : servers.map((server) => knows(server, payment));
      const readings = all.filter((_, i) => counted[i]);
      const majority = knows === undefined ? cluster.majority : Math.floor(readings.length / 2) + 1;
      const committed = readings.filter((r) => r.outcome === 'committed').length;
      const voided = readings.filter((r) => r.outcome === 'void').length;
      const said = all.map((r, i) => `server ${servers[i]}: ${r.said}${counted[i] ? '' : ' (not counted: its snapshot is newer)'}`);
      const outcome: Outcome = readings.length === 0 ? 'undecided' : committed >= majority ? 'committed' : voided >= majority ? 'void' : 'undecided';
      verdicts.push({ payment, outcome, said });
      if (committed > 0 && voided > 0) problems.push(`payment ${payment.txid.slice(0, 16)} (period ${payment.period}) is committed on some servers and void on others: ${said.join(', ')}`);
      if (outcome === 'undecided') problems.push(`payment ${payment.txid.slice(0, 16)} (period ${payment.period}) is not decided by a majority: ${said.join(', ')}`);
      for (const r of readings) {
        if (r.outcome === 'committed' && r.said !== `COMMITTED ${payment.period}`) problems.push(`payment ${payment.txid.slice(0, 16)} of period ${payment.period}: ${r.said}`);
      }
    }
  }
  const wasAccepted = (verdict: Verdict) => verdict.payment.answers.some((answer) => answer.status === Status.ACCEPTED);
  return {
    verdicts,
    committed: verdicts.filter((v) => v.outcome === 'committed').length,
    void: verdicts.filter((v) => v.outcome === 'void').length,
    acceptedCommitted: verdicts.filter((v) => v.outcome === 'committed' && wasAccepted(v)).length,
    acceptedVoid: verdicts.filter((v) => v.outcome === 'void' && wasAccepted(v)).length,
    problems,
  };
}

export interface LedgerCheck {
  readonly reports: (LedgerReport | null)[];
  readonly problems: string[];
}

export interface LedgerCheckOptions {
  /** Reads and checks one ledger file (default: test/helpers/ledger-check's, for a network without changes). */
  readonly check?: (dir: string, network: Network) => LedgerReport;
  /**
   * Servers whose ledger may end before the last payments (a server a change removed: it
   * follows the chain for reading, not necessarily to the end): a committed payment of a
   * period after the one it committed is not expected in it.
   */
  readonly partial?: readonly number[];
}

/** The ledger files of stopped servers, against each other and against the verdicts. */
export function checkLedgers(cluster: FaultCluster, verdicts: readonly Verdict[], options: LedgerCheckOptions = {}): LedgerCheck {
  const problems: string[] = [];
  const check = options.check ?? checkLedger;
  const reports = cluster.servers.map((server) => {
    try {
      const report = check(server.dir, cluster.network);
      if (report.supply !== cluster.network.supply) problems.push(`server ${server.index}: supply ${report.supply}, genesis ${cluster.network.supply}`);
      return report;
    } catch (error) {
      problems.push(`server ${server.index}: ${(error as Error).message}`);
      return null;
    }
  });
  const archives = cluster.servers.map((server) => readArchive(server.dir));
  // Servers agree on every period they both archived.
  const decision = new Map<number, { parent: number; stateHash: string; server: number }>();
  archives.forEach((archive, server) => {
    if (archive === null) {
      problems.push(`server ${server}: archive unreadable`);
      return;
    }
    for (const [period, row] of archive.periods) {
      const known = decision.get(period);
      if (known === undefined) decision.set(period, { parent: row.parent, stateHash: row.stateHash, server });
      else if (known.parent !== row.parent || known.stateHash !== row.stateHash) problems.push(`period ${period}: servers ${known.server} and ${server} archived different decisions`);
    }
  });
  const ours = new Map(verdicts.map((verdict) => [verdict.payment.txid, verdict]));
  reports.forEach((report, server) => {
    if (report === null) return;
    const archiveFrom = archives[server]?.archiveFrom ?? 0;
    const partial = options.partial?.includes(server) === true;
    for (const verdict of verdicts) {
      const applied = report.appliedTxids.has(verdict.payment.txid);
      const beyond = partial && report.committed.period < verdict.payment.period;
      if (verdict.outcome === 'committed' && !applied && !beyond && !(archiveFrom >= verdict.payment.period && report.committed.period >= verdict.payment.period)) {
        problems.push(`server ${server}: payment ${verdict.payment.txid.slice(0, 16)} (period ${verdict.payment.period}), COMMITTED by a majority, is not applied in its ledger`);
      }
      if (verdict.outcome === 'void' && applied) problems.push(`server ${server}: payment ${verdict.payment.txid.slice(0, 16)}, void by a majority, is applied in its ledger`);
    }
    for (const txid of report.appliedTxids) {
      if (!ours.has(txid)) problems.push(`server ${server}: applied txid ${txid.slice(0, 16)}, which the test never sent`);
    }
  });
  return { reports, problems };
}

/** Problems as one message for expect(). */
export function listProblems(problems: readonly string[], limit = 20): string {
  return problems.length === 0 ? 'none' : `${problems.length} problem(s):\n${problems.slice(0, limit).join('\n')}${problems.length > limit ? '\n…' : ''}`;
}
