// The proofs of equivocation servers hold, as `scryp evidence` and `scryp info` show them
// (docs/PROTOCOL.md §6.9 for the query, §8.12 for what a proof is). One path: every
// server is asked through the UDP client, one EVIDENCE request per proof; every proof is
// checked here with the network's keys (consensus/evidence.ts checkEvidence), never taken
// on a server's word; and each is laid out so that anyone can check it again by hand:
// the signed messages in hex, the exact bytes each signature covers, and the verdict.
//
// Pure parts (evidenceChecker, signedMessagesOf, explainEvidence, groupProofs) are
// separate from the asking (askEvidence), so tests drive them without sockets.

import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { evidence_kept_max } from '../constants.ts';
import { type Ballot, ballotSigningMessage, encodeBallot } from '../consensus/ballot.ts';
import { checkEvidence, encodeEvidence, type Evidence, type EvidenceChecker, evidenceKey, offenderOf, periodOfEvidence } from '../consensus/evidence.ts';
import { encodeProposalHeader, type ProposalHeader, proposalSigningMessage } from '../consensus/proposal.ts';
import { type Certificate, checkerFor, type Decision, encodeCertificate, encodeVote, type Vote, voteSigningMessage } from '../consensus/vote.ts';
import { LedgerState } from '../ledger/state.ts';
import type { Network } from '../network.ts';
import { verify } from '../signature.ts';
import { type EvidenceBody, type ForkSummary, Kind, Status, statusName } from './codec.ts';
import type { ClientTransport } from './transport.ts';

/** The network's keys and quorum, to check proofs with (the genesis hash for a fork reaching back to it). */
export function evidenceChecker(network: Network): EvidenceChecker {
  return checkerFor(network, LedgerState.fromAccounts(network.genesis).hash, verify);
}

// ---- the signed messages of a proof ---------------------------------------------------------

/** One signature inside a proof, with everything needed to check it by hand. */
export interface SignedMessage {
  /** Which message: "a", "b", or "a: vote of server 2" inside a certificate. */
  readonly what: string;
  /** The server whose key must verify it (-1: the index is not a server of the network). */
  readonly signer: number;
  /** The message as it travels (a vote, a ballot or a proposal header; a certificate for a fork's two). */
  readonly bytes: Uint8Array;
  /** The exact bytes the signature covers: domain tag || network id || signed fields. */
  readonly signingMessage: Uint8Array;
  readonly signature: Uint8Array;
  readonly verifies: boolean;
}

function signedBy(network: Network, signer: number, signingMessage: Uint8Array, signature: Uint8Array): boolean {
  const key = network.servers[signer]?.key;
  return key !== undefined && verify(signature, signingMessage, key);
}

function voteMessage(network: Network, what: string, vote: Vote): SignedMessage {
  const signingMessage = voteSigningMessage(network.id, vote, vote.prev, vote.voter);
  return { what, signer: vote.voter, bytes: encodeVote(vote), signingMessage, signature: vote.signature, verifies: signedBy(network, vote.voter, signingMessage, vote.signature) };
}

function ballotMessage(network: Network, what: string, ballot: Ballot): SignedMessage {
  const signingMessage = ballotSigningMessage(network.id, ballot.step, ballot.slot, ballot, ballot.voter);
  return { what, signer: ballot.voter, bytes: encodeBallot(ballot), signingMessage, signature: ballot.signature, verifies: signedBy(network, ballot.voter, signingMessage, ballot.signature) };
}

function headerMessage(network: Network, what: string, header: ProposalHeader): SignedMessage {
  const signingMessage = proposalSigningMessage(network.id, header);
  return { what, signer: header.proposer, bytes: encodeProposalHeader(header), signingMessage, signature: header.signature, verifies: signedBy(network, header.proposer, signingMessage, header.signature) };
}

function certificateMessages(network: Network, what: string, certificate: Certificate): SignedMessage[] {
  const bytes = encodeCertificate(certificate);
  return certificate.votes.map((vote) => {
    const signingMessage =
      certificate.slot === undefined
        ? voteSigningMessage(network.id, certificate, vote.prev, vote.voter)
        : ballotSigningMessage(network.id, 'precommit', certificate.slot, certificate, vote.voter);
    return { what: `${what}: ${certificate.slot === undefined ? 'vote' : 'precommit'} of server ${vote.voter}`, signer: vote.voter, bytes, signingMessage, signature: vote.signature, verifies: signedBy(network, vote.voter, signingMessage, vote.signature) };
  });
}

/** Every signature a proof rests on, in order: the two messages, or each vote of the two certificates. */
export function signedMessagesOf(network: Network, evidence: Evidence): SignedMessage[] {
  switch (evidence.kind) {
    case 'vote':
      return [voteMessage(network, 'a', evidence.a), voteMessage(network, 'b', evidence.b)];
    case 'prevote':
    case 'precommit':
      return [ballotMessage(network, 'a', evidence.a), ballotMessage(network, 'b', evidence.b)];
    case 'proposal':
      return [headerMessage(network, 'a', evidence.a), headerMessage(network, 'b', evidence.b)];
    case 'fork':
      return [...certificateMessages(network, 'certificate a', evidence.a), ...certificateMessages(network, 'certificate b', evidence.b)];
  }
}

// ---- in words ---------------------------------------------------------------------------------

const short = (bytes: Uint8Array) => `${toHex(bytes).slice(0, 16)}…`;

function decisionWords(decision: Decision): string {
  return `period ${decision.period} applied on period ${decision.parent} (state ${short(decision.parentHash)}) gives state ${short(decision.hash)}`;
}

function headerWords(header: ProposalHeader): string {
  const again = header.decided === header.slot ? '' : ` again (a quorum prevoted it in slot ${header.validSlot})`;
  return `the batch of period ${header.decided}${again} with sha256 ${short(header.transactionsHash)} on period ${header.parent.period}, claimed state ${short(header.hash)}`;
}

function serverWords(network: Network, index: number): string {
  const server = network.servers[index];
  return server === undefined ? `server ${index} (not a server of ${network.name})` : `server ${index} (key ${toHex(server.key)}, address ${encodeAddress(server.key)})`;
}

/** What a proof shows, in sentences a person can check against the messages. */
export function explainEvidence(network: Network, evidence: Evidence): string {
  const why = 'An honest server never signs both: it keeps what it signed on disk before it sends it. Someone is signing with this server\'s key without following the protocol (a stolen key, or broken software).';
  switch (evidence.kind) {
    case 'vote':
      return `${serverWords(network, evidence.a.voter)} signed two different VOTEs for period ${evidence.a.period}: (a) ${decisionWords(evidence.a)}, previous vote ${evidence.a.prev}; (b) ${decisionWords(evidence.b)}, previous vote ${evidence.b.prev}. ${why}`;
    case 'prevote':
    case 'precommit':
      return `${serverWords(network, evidence.a.voter)} signed two ${evidence.kind.toUpperCase()}s in slot ${evidence.a.slot}: (a) for ${decisionWords(evidence.a)}; (b) for ${decisionWords(evidence.b)}. ${why}`;
    case 'proposal':
      return `${serverWords(network, evidence.a.proposer)}, the beta of slot ${evidence.a.slot}, signed two different PROPOSALs for it: (a) ${headerWords(evidence.a)}; (b) ${headerWords(evidence.b)}. ${why}`;
    case 'fork': {
      const votersOf = (certificate: Certificate) => new Set(certificate.votes.map((vote) => vote.voter));
      const inA = votersOf(evidence.a);
      const both = [...votersOf(evidence.b)].filter((voter) => inA.has(voter)).sort((x, y) => x - y);
      return (
        `Two certificates, each signed by a quorum of ${network.quorum}, decide histories that cannot both hold: (a) ${decisionWords(evidence.a)}, signed by servers ${[...inA].join(', ')}; ` +
        `(b) ${decisionWords(evidence.b)}, signed by servers ${evidence.b.votes.map((vote) => vote.voter).join(', ')}. ` +
        `More servers misbehaved than the network tolerates (${network.faulty === 0 ? 'a majority network tolerates none' : `at most ${network.faulty}`}); ` +
        `${both.length === 0 ? 'no server signed both' : `server${both.length === 1 ? '' : 's'} ${both.join(', ')} signed both`}. Servers that hold this proof stop taking payments until their operators act.`
      );
    }
  }
}

/** The same for a fork too large for one datagram: what the server says it holds, unchecked. */
export function explainSummary(network: Network, summary: ForkSummary): string {
  return (
    `A fork too large for one datagram (${summary.bytes} bytes, sha256 ${toHex(summary.digest)}): two certificates that conflict, (a) ${decisionWords(summary.a)}; (b) ${decisionWords(summary.b)}. ` +
    `It cannot be checked from here: the whole proof is in the server's ledger (table evidence of DIR/ledger.sqlite), where its operator can read it. Network ${network.name} tolerates ${network.faulty} lying servers.`
  );
}

// ---- asking the servers -------------------------------------------------------------------------

/** What one server said about itself. */
export interface ServerEvidence {
  readonly server: number;
  /** False when it gave no valid EVIDENCE reply (down, or too old to know the query). */
  readonly answered: boolean;
  readonly error?: string;
  readonly count: number;
  /** 0: taking part; k ≥ 1: stopped because of its proof number k − 1 (a fork). */
  readonly stoppedBy: number;
  /** Its proofs, in its order (a fork too large for a datagram as a summary). */
  readonly items: readonly ({ evidence: Evidence; summary: null } | { evidence: null; summary: ForkSummary })[];
}

/** One proof, as every server that holds it holds it (the same bytes). */
export interface HeldProof {
  readonly evidence: Evidence | null;
  readonly summary: ForkSummary | null;
  /** Servers holding it, and the ones it stopped. */
  readonly heldBy: readonly number[];
  readonly stopped: readonly number[];
  /** checkEvidence with the network's keys; null for a summary, which cannot be checked. */
  readonly valid: boolean | null;
}

async function askOne(client: ClientTransport, network: Network, server: number, index: number, attempts: number, timeoutMs: number): Promise<EvidenceBody> {
  const entry = network.servers[server]!;
  const reply = await client.ask(entry.address, { kind: Kind.EVIDENCE, index }, { networkId: network.id, serverKey: entry.key, serverCount: network.servers.length, attempts, timeoutMs });
  if (reply.status !== Status.OK || reply.body === null || !('stoppedBy' in reply.body)) throw new Error(`server ${server} answered ${statusName[reply.status]} to EVIDENCE (a version that does not know it?)`);
  if (reply.body.index !== index) throw new Error(`server ${server} answered EVIDENCE ${reply.body.index} to a request for ${index}`);
  return reply.body;
}

/**
 * Asks `servers` (all at once; each one proof at a time) for every proof they hold. A
 * server whose count grows while it is asked is asked on to the end (never past
 * evidence_kept_max, which a reply may not exceed).
 */
export async function askEvidence(
  client: ClientTransport,
  network: Network,
  servers: readonly number[],
  options: { attempts?: number; timeoutMs?: number } = {},
): Promise<ServerEvidence[]> {
  const attempts = options.attempts ?? 4;
  const timeoutMs = options.timeoutMs ?? 200;
  return Promise.all(
    servers.map(async (server): Promise<ServerEvidence> => {
      try {
        let body = await askOne(client, network, server, 0, attempts, timeoutMs);
        let { count, stoppedBy } = body;
        const items: ServerEvidence['items'][number][] = [];
        for (let index = 0; index < Math.min(count, evidence_kept_max); index++) {
          if (index > 0) {
            body = await askOne(client, network, server, index, attempts, timeoutMs);
            count = Math.max(count, body.count);
            stoppedBy = body.stoppedBy;
          }
          if (body.evidence !== null) items.push({ evidence: body.evidence, summary: null });
          else if (body.summary !== null) items.push({ evidence: null, summary: body.summary });
        }
        return { server, answered: true, count, stoppedBy, items };
      } catch (error) {
        return { server, answered: false, error: (error as Error).message, count: 0, stoppedBy: 0, items: [] };
      }
    }),
  );
}

/** The proofs of all answers, each offence once (grouped by kind, server and period), checked with the network's keys, oldest first as the first holder lists them. */
export function groupProofs(network: Network, answers: readonly ServerEvidence[]): HeldProof[] {
  const checker = evidenceChecker(network);
  const groups = new Map<string, { evidence: Evidence | null; summary: ForkSummary | null; heldBy: number[]; stopped: number[] }>();
  for (const answer of answers) {
    answer.items.forEach((item, index) => {
      // One group per offence (kind, server, period): servers that saw the same lie from
      // different sides hold different pairs of messages, each a whole proof of it.
      const key = item.evidence !== null ? evidenceKey(item.evidence) : `summary:${toHex(item.summary.digest)}`;
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { evidence: item.evidence, summary: item.summary, heldBy: [], stopped: [] }));
      if (!group.heldBy.includes(answer.server)) group.heldBy.push(answer.server);
      if (answer.stoppedBy === index + 1) group.stopped.push(answer.server);
    });
  }
  return [...groups.values()].map((group) => ({ ...group, valid: group.evidence === null ? null : checkEvidence(checker, group.evidence) }));
}

/** A proof for a JSON line: hex for bytes, both forms of keys. */
export function proofJson(network: Network, proof: HeldProof): object {
  if (proof.evidence === null) {
    const summary = proof.summary!;
    const decision = (d: Decision) => ({ period: d.period, parent: d.parent, parentHash: toHex(d.parentHash), hash: toHex(d.hash) });
    return { kind: 'fork', whole: false, valid: null, heldBy: proof.heldBy, stopped: proof.stopped, bytes: summary.bytes, sha256: toHex(summary.digest), a: decision(summary.a), b: decision(summary.b), words: explainSummary(network, summary) };
  }
  const evidence = proof.evidence;
  const offender = offenderOf(evidence);
  const key = network.servers[offender]?.key;
  return {
    kind: evidence.kind,
    whole: true,
    valid: proof.valid,
    offender: offender < 0 ? null : offender,
    offenderKey: key === undefined ? null : toHex(key),
    offenderAddress: key === undefined ? null : encodeAddress(key),
    period: periodOfEvidence(evidence),
    heldBy: proof.heldBy,
    stopped: proof.stopped,
    words: explainEvidence(network, evidence),
    hex: toHex(encodeEvidence(evidence)),
    messages: signedMessagesOf(network, evidence).map((message) => ({
      what: message.what,
      signer: message.signer,
      signerKey: network.servers[message.signer] === undefined ? null : toHex(network.servers[message.signer]!.key),
      hex: toHex(message.bytes),
      signingMessage: toHex(message.signingMessage),
      signature: toHex(message.signature),
      verifies: message.verifies,
    })),
  };
}
