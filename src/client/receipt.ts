// Collecting a receipt (docs/PROTOCOL.md §6.14): the I/O half of receipt.ts. The payment is
// found in an account's history (its payer's or its payee's), then every server in force
// for its period is asked STATUS; once a quorum of them, distinct, say COMMITTED in that
// period, their signed replies and the payment make the receipt, which is checked as anyone
// would check it (checkReceipt) before it is handed back. Through a ClientTransport, so the
// CLI (UDP) and a page (the HTTP gateway) collect alike.

import { equal, toHex } from '../bytes.ts';
import { fail } from '../errors.ts';
import type { Address } from '../ip.ts';
import type { Network } from '../network.ts';
import { chainBefore, type CheckedReceipt, checkReceipt, configurationInForce, type Receipt, replyBytesOf } from '../receipt.ts';
import { withAddresses, learnAddresses } from './addresses.ts';
import { learnChain, targetsOf, withConfiguration } from './chain.ts';
import { Kind, PaymentState, Status, type StatusBody } from './codec.ts';
import { findPayment } from './history.ts';
import type { ClientTransport } from './transport.ts';

export interface CollectedReceipt {
  readonly receipt: Receipt;
  readonly checked: CheckedReceipt;
  /** Servers of the configuration in force that were asked, and those that did not vouch (silent, behind, or another answer). */
  readonly asked: number;
  readonly missing: readonly string[];
}

/**
 * The receipt of payment `txid` of `account`, from the servers of `fileNetwork` (the network
 * file: the chain of changes and every address are learnt from the servers, each checked).
 * RECEIPT_NOT_COMMITTED when the payment is not committed; RECEIPT_TOO_FEW when fewer than a
 * quorum of the servers in force for its period vouch for it now (try again later).
 */
export async function collectReceipt(client: ClientTransport, fileNetwork: Network, account: Uint8Array, txid: Uint8Array, options: { attempts?: number; timeoutMs?: number } = {}): Promise<CollectedReceipt> {
  const learned = await learnChain(client, fileNetwork, targetsOf(fileNetwork), options);
  const chain = learned?.chain ?? [];
  const inForce = learned === null ? fileNetwork : withConfiguration(fileNetwork, learned.configurations[learned.configurations.length - 1]!);
  const now = withAddresses(inForce, (await learnAddresses(client, inForce, options)).records);
  const entry = await findPayment(client, now, account, txid);
  if (entry === null) fail('RECEIPT_NOT_COMMITTED', `payment ${toHex(txid)} is not in the history of ${toHex(account).slice(0, 16)}… as the servers list it: check the txid and the account (its payer's or its payee's)`);
  if (!entry.applied) fail('RECEIPT_NOT_COMMITTED', `payment ${toHex(txid)} is void (in the batch of period ${entry.period}, skipped): no money moved, and there is nothing to prove`);
  const period = entry.period;
  const configuration = configurationInForce(fileNetwork, chain, period);
  // Where each server of that configuration is now: its newest address if it is still in force, else the one its change gave.
  const addressOf = (key: Uint8Array): Address => now.servers.find((server) => equal(server.key, key))?.address ?? configuration.servers.find((server) => equal(server.key, key))!.address;
  const replies: Uint8Array[] = [];
  const missing: string[] = [];
  await Promise.all(
    configuration.servers.map(async (server, position) => {
      try {
        const reply = await client.ask(addressOf(server.key), { kind: Kind.STATUS, txid }, { networkId: fileNetwork.id, serverKey: server.key, attempts: options.attempts ?? 4, timeoutMs: options.timeoutMs ?? 150 });
        const body = reply.body as StatusBody | null;
        if (reply.status === Status.OK && body !== null && body.state === PaymentState.COMMITTED && body.period === period) replies[position] = replyBytesOf(reply);
        else missing.push(`server ${position}: ${reply.status !== Status.OK ? `status 0x${reply.status.toString(16)}` : body === null ? 'no state' : `state ${body.state} in period ${body.period}`}`);
      } catch (error) {
        missing.push(`server ${position}: ${(error as Error).message}`);
      }
    }),
  );
  const vouching = replies.filter((reply) => reply !== undefined);
  if (vouching.length < configuration.quorum) {
    fail('RECEIPT_TOO_FEW', `only ${vouching.length} of the ${configuration.servers.length} servers in force for period ${period} say payment ${toHex(txid).slice(0, 16)}… is committed there, a quorum is ${configuration.quorum} (${missing.join('; ')}): try again when more servers answer`);
  }
  const receipt: Receipt = { network: fileNetwork.id, tx: entry.tx, replies: vouching, chain: chainBefore(chain, period) };
  return { receipt, checked: checkReceipt(fileNetwork, receipt), asked: configuration.servers.length, missing: missing.sort() };
}
