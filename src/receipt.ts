// A receipt anyone can check offline (docs/PROTOCOL.md §6.14): a payment, and the signed
// STATUS replies of a quorum of the servers in force for its period, each saying COMMITTED
// in that period. The JSON file:
//
//   { "network": "<network id hex>",
//     "tx": "<the signed payment, hex: 140 or 148 bytes>",
//     "replies": [ "<a STATUS reply datagram, hex>", ... ],
//     "chain": [ { "carrier": N, "change": "<hex>" }, ... ] }      only when servers changed
//
// "chain" is the chain of committed server-set changes carried before the payment's period
// (the entries of a chain file, §3.9.1), so that a receipt of a network whose servers
// changed says by itself which servers were in force. It is believed only as far as it
// follows from the network file, and a chain the checker brings (`--chain`, from servers
// it trusts) takes its place: a receipt cannot vouch for the servers that vouch for it.
//
// Pure: JSON values and bytes in, a checked summary or a ScrypError with a RECEIPT_* code
// out; the network file and the chain are the only outside knowledge, and no server is asked.

import { describe, equal, fromHex, toHex } from './bytes.ts';
import { hash_bytes, receipt_replies_max } from './constants.ts';
import { fail, isScrypError } from './errors.ts';
import { type CommittedChange, type Configuration, configurationAt, configurationsOf, encodeChange } from './consensus/configuration.ts';
import { parseChainFile } from './consensus/change-file.ts';
import { decodeReply, Kind, PaymentState, type Reply, Status, type StatusBody, verifyReply } from './client/codec.ts';
import type { Network } from './network.ts';
import { periodOf, timingOf } from './schedule.ts';
import { verify } from './signature.ts';
import { amountOf, decodeTransaction, payeeOf, payerOf, referenceOf, signatureOf, signingMessage, timestampOf, txidOf } from './transaction.ts';

export interface Receipt {
  readonly network: Uint8Array;
  /** The signed payment, 140 or 148 bytes. */
  readonly tx: Uint8Array;
  /** STATUS reply datagrams, as the servers signed them. */
  readonly replies: readonly Uint8Array[];
  /** The committed changes carried before the payment's period; empty when the servers never changed. */
  readonly chain: readonly CommittedChange[];
}

/** What a receipt proves, once checked. */
export interface CheckedReceipt {
  readonly txid: Uint8Array;
  readonly period: number;
  readonly payer: Uint8Array;
  readonly payee: Uint8Array;
  readonly amount: number;
  readonly reference: bigint | null;
  /** The configuration whose servers vouch for it, and which of its servers did (positions in it, ascending). */
  readonly configuration: Configuration;
  readonly servers: readonly number[];
}

function malformed(message: string): never {
  fail('RECEIPT_MALFORMED', `${message}: not a receipt as scryp receipt save writes it`);
}

function hexField(value: unknown, field: string, bytes?: number): Uint8Array {
  if (typeof value !== 'string') malformed(`${field}: expected a hex string, got ${describe(value)}`);
  try {
    return fromHex(value, bytes, field);
  } catch (error) {
    if (!isScrypError(error)) throw error;
    malformed(`${field}: ${error.message}`);
  }
}

/** Reads a receipt's JSON value: its shape, strictly (no unknown field, hex of the right sizes). */
export function parseReceipt(json: unknown): Receipt {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || (Object.getPrototypeOf(json) !== Object.prototype && Object.getPrototypeOf(json) !== null)) {
    malformed(`expected a JSON object, got ${describe(json)}`);
  }
  const top = json as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!['network', 'tx', 'replies', 'chain'].includes(key)) malformed(`${key}: unknown field (expected network, tx, replies and, when servers changed, chain)`);
  for (const key of ['network', 'tx', 'replies']) if (!(key in top)) malformed(`${key}: missing`);
  const network = hexField(top.network, 'network', hash_bytes);
  const tx = hexField(top.tx, 'tx');
  try {
    decodeTransaction(tx);
  } catch (error) {
    if (!isScrypError(error)) throw error;
    malformed(`tx: ${error.message}`);
  }
  if (!Array.isArray(top.replies)) malformed(`replies: expected an array, got ${describe(top.replies)}`);
  if (top.replies.length < 1 || top.replies.length > receipt_replies_max) malformed(`replies: expected 1..${receipt_replies_max}, got ${top.replies.length}`);
  const replies = (top.replies as unknown[]).map((reply, i) => hexField(reply, `replies[${i}]`));
  let chain: readonly CommittedChange[] = [];
  if ('chain' in top) {
    try {
      chain = parseChainFile({ network: toHex(network), changes: top.chain }).changes;
    } catch (error) {
      if (!isScrypError(error)) throw error;
      malformed(`chain: ${error.message.replace(/^BAD_CHANGE_FILE: /, '')}`);
    }
    if (chain.length === 0) malformed('chain: empty (a receipt of a network whose servers never changed has no chain)');
  }
  return { network, tx, replies, chain };
}

/** The JSON form of a receipt, fields in the order of §6.14 (chain only when there is one). */
export function receiptJson(receipt: Receipt): object {
  return {
    network: toHex(receipt.network),
    tx: toHex(receipt.tx),
    replies: receipt.replies.map(toHex),
    ...(receipt.chain.length === 0 ? {} : { chain: receipt.chain.map((entry) => ({ carrier: entry.carrier, change: toHex(encodeChange(entry.change)) })) }),
  };
}

/** The text of a receipt file: its JSON, one field a line, and a newline. */
export function formatReceipt(receipt: Receipt): string {
  return `${JSON.stringify(receiptJson(receipt), null, 2)}\n`;
}

/** A reply as the datagram the server sent: the signed bytes, its key, its signature. */
export function replyBytesOf(reply: Reply): Uint8Array {
  const out = new Uint8Array(reply.signed.length + reply.serverKey.length + reply.signature.length);
  out.set(reply.signed, 0);
  out.set(reply.serverKey, reply.signed.length);
  out.set(reply.signature, reply.signed.length + reply.serverKey.length);
  return out;
}

/** The committed changes a receipt of `period` carries: those carried before it. */
export function chainBefore(chain: readonly CommittedChange[], period: number): CommittedChange[] {
  return chain.filter((entry) => entry.carrier < period);
}

/**
 * The configuration in force for `period`, from the network file and a chain checked from
 * it (CHANGE_CHAIN when it does not follow): the one whose turn the period is when it builds
 * on the period before (§8.13), that is the newest whose change was carried before the
 * period and that starts at or before it.
 */
export function configurationInForce(network: Network, chain: readonly CommittedChange[], period: number): Configuration {
  let configurations: Configuration[];
  try {
    configurations = configurationsOf(network, chain, verify);
  } catch (error) {
    if (!isScrypError(error)) throw error;
    fail('CHANGE_CHAIN', `the chain of server-set changes does not follow from the network file (${error.message}): get it again from servers you trust (scryp network show --out)`);
  }
  return configurationAt(configurations, [0, ...chain.map((entry) => entry.carrier)], period - 1, period);
}

/**
 * Checks a receipt against the network file, offline. `chain`: the chain of changes the
 * checker trusts (a chain file), or null to take the receipt's own. Throws, in this order:
 * RECEIPT_OTHER_NETWORK (the receipt is of another network), RECEIPT_BAD_PAYMENT_SIGNATURE,
 * RECEIPT_MALFORMED (a reply that is no STATUS reply), RECEIPT_REPLY_SIGNATURE (a reply not
 * signed for this network), RECEIPT_WRONG_PAYMENT (a reply about another payment),
 * RECEIPT_NOT_COMMITTED, RECEIPT_PERIODS_DISAGREE (the replies, or the payment's own
 * stamp), CHANGE_CHAIN, RECEIPT_UNKNOWN_SERVER (a reply by a key that is not a server in
 * force for the period), RECEIPT_TOO_FEW (fewer distinct servers than its quorum).
 */
export function checkReceipt(network: Network, receipt: Receipt, chain: readonly CommittedChange[] | null = null): CheckedReceipt {
  if (!equal(receipt.network, network.id)) {
    fail('RECEIPT_OTHER_NETWORK', `the receipt is of network ${toHex(receipt.network).slice(0, 16)}…, not ${network.name} (${toHex(network.id).slice(0, 16)}…): check it with the network file it belongs to`);
  }
  const tx = receipt.tx;
  if (!verify(signatureOf(tx), signingMessage(network.id, tx), payerOf(tx))) {
    fail('RECEIPT_BAD_PAYMENT_SIGNATURE', `the payment's signature does not verify with its payer's key on network ${network.name}: the payment was altered, or never signed by its payer`);
  }
  const txid = txidOf(tx);
  const answers: { reply: Reply; body: StatusBody }[] = receipt.replies.map((bytes, i) => {
    let reply: Reply;
    try {
      reply = decodeReply(bytes);
    } catch (error) {
      if (!isScrypError(error)) throw error;
      malformed(`replies[${i}]: ${error.message}`);
    }
    if (reply.kind !== Kind.STATUS) malformed(`replies[${i}]: a reply to another kind of request (0x${reply.kind.toString(16)}), not STATUS`);
    if (!verifyReply(reply, network.id)) {
      fail('RECEIPT_REPLY_SIGNATURE', `reply ${i} is not signed for network ${network.name}: a reply of another network, or altered`);
    }
    if (reply.status !== Status.OK || reply.body === null || !('state' in reply.body)) {
      fail('RECEIPT_NOT_COMMITTED', `reply ${i} (server ${toHex(reply.serverKey).slice(0, 16)}…) answered status 0x${reply.status.toString(16)}, not a payment's state`);
    }
    const body = reply.body as StatusBody;
    if (!equal(body.txid, txid)) fail('RECEIPT_WRONG_PAYMENT', `reply ${i} is about payment ${toHex(body.txid).slice(0, 16)}…, not this one (${toHex(txid).slice(0, 16)}…)`);
    if (body.state !== PaymentState.COMMITTED) {
      const state = ['unknown', 'pending', 'committed', 'void'][body.state] ?? String(body.state);
      fail('RECEIPT_NOT_COMMITTED', `reply ${i} (server ${toHex(reply.serverKey).slice(0, 16)}…) says the payment is ${state}, not committed`);
    }
    return { reply, body };
  });
  const period = answers[0]!.body.period;
  for (const [i, { body }] of answers.entries()) {
    if (body.period !== period) fail('RECEIPT_PERIODS_DISAGREE', `reply ${i} says committed in period ${body.period}, reply 0 in period ${period}`);
  }
  const stamped = periodOf(timingOf(network), timestampOf(tx));
  if (stamped !== period) fail('RECEIPT_PERIODS_DISAGREE', `the replies say period ${period}, but the payment is stamped in period ${stamped}, the only one that can commit it`);
  const configuration = configurationInForce(network, chain ?? receipt.chain, period);
  const positions = new Set<number>();
  for (const [i, { reply }] of answers.entries()) {
    const position = configuration.servers.findIndex((server) => equal(server.key, reply.serverKey));
    if (position < 0) {
      fail(
        'RECEIPT_UNKNOWN_SERVER',
        `reply ${i} is signed by ${toHex(reply.serverKey).slice(0, 16)}…, not a server of configuration ${configuration.number}, in force for period ${period}${configuration.number === 0 && chain === null && receipt.chain.length === 0 ? ' (if the servers changed, give --chain)' : ''}`,
      );
    }
    positions.add(position);
  }
  if (positions.size < configuration.quorum) {
    fail('RECEIPT_TOO_FEW', `${positions.size} distinct server${positions.size === 1 ? '' : 's'} vouch for the payment; configuration ${configuration.number}, in force for period ${period}, needs a quorum of ${configuration.quorum} of ${configuration.servers.length}`);
  }
  return {
    txid,
    period,
    payer: payerOf(tx).slice(),
    payee: payeeOf(tx).slice(),
    amount: amountOf(tx),
    reference: referenceOf(tx),
    configuration,
    servers: [...positions].sort((a, b) => a - b),
  };
}

