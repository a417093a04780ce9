// Where each server is now (docs/PROTOCOL.md §3.10), sans IO: the network file's address
// (sequence 0) until a newer signed address record arrives. The core routes ADDRESS
// messages here; the node drains `moved` and makes its transport dial the new address.
//
//   valid and newer    -> kept (on disk), passed on once to every other server, in force
//   bad signature,
//   unknown key,
//   older or the same  -> counted and ignored (the connection stays)
//   newer, our own key -> kept too, with a warning: another instance signed it
//
// A server re-sends every record it knows every address_resend_periods periods, so that a
// server that was down when one moved learns it; at most 64 records of 110 bytes.

import { address_resend_periods } from '../constants.ts';
import { toHex } from '../bytes.ts';
import { isScrypError } from '../errors.ts';
import type { Address } from '../ip.ts';
import { formatAddress } from '../ip.ts';
import {
  type AddressRecord,
  addressOf,
  addressRecordSigningMessage,
  decodeAddressRecord,
  encodeAddressRecord,
  isNewer,
  nextSequence,
  signAddressRecord,
} from '../address-record.ts';
import type { NodeContext } from './context.ts';

export class Addresses {
  /** The newest valid record of each server, by index (null: the network file's address). */
  private readonly newest: (AddressRecord | null)[];
  /** Servers whose address in force changed, for the node's transport (drained by it). */
  readonly moved: { server: number; address: Address }[] = [];

  constructor(private readonly context: NodeContext) {
    this.newest = context.configurations.directory.map(() => null);
    for (const bytes of context.store.addressRecords()) {
      let record: AddressRecord;
      try {
        record = decodeAddressRecord(bytes);
      } catch (error) {
        if (!isScrypError(error)) throw error;
        context.reject('address_stored_bad', `a stored address record does not decode (${error.message}): ignored`);
        continue;
      }
      const index = this.check(record);
      if (index < 0) {
        context.reject('address_stored_bad', `a stored address record is not valid for this network (key ${toHex(record.key).slice(0, 16)}…): ignored`);
        continue;
      }
      if (isNewer(record, this.newest[index] ?? null)) this.put(index, record);
    }
  }

  /**
   * The directory id of a record's server when its signature verifies; -1: no server this
   * server knows has that key; -2: the signature does not verify. Servers a change brought
   * in move like the others.
   */
  private check(record: AddressRecord): number {
    const context = this.context;
    const id = context.configurations.idOf(record.key);
    if (id < 0) return -1;
    return context.verifySignature(record.signature, addressRecordSigningMessage(context.network.id, record), record.key) ? id : -2;
  }

  /**
   * Keeps a server's newest record. The directory grows with committed changes after this
   * table was made: no hole is left before a server a change brought in (found by the fault
   * suite: a hole read at the next resend stopped the node).
   */
  private put(index: number, record: AddressRecord): void {
    while (this.newest.length < index) this.newest.push(null);
    this.newest[index] = record;
  }

  /** The address in force for a server: its newest record's, or the network file's. */
  addressOf(server: number): Address {
    const record = this.newest[server];
    return record === null || record === undefined ? this.context.configurations.addressOf(server) : addressOf(record);
  }

  /** The newest record of a server, or null (the network file's address, sequence 0). */
  recordOf(server: number): AddressRecord | null {
    return this.newest[server] ?? null;
  }

  /**
   * This server is at `address` now. Signs a new record when the address in force differs
   * (sequence = max(last own + 1, now)), keeps it, and returns it; null when nothing changed.
   */
  moveTo(address: Address, now: number): AddressRecord | null {
    const context = this.context;
    if (context.self < 0) return null; // joining: no configuration names us yet, and no one would take the record
    const current = this.addressOf(context.self);
    if (current.host === address.host && current.port === address.port) return null;
    const record = signAddressRecord(context.signer, context.network.id, address, nextSequence(this.newest[context.self]?.sequence ?? 0, now));
    context.store.recordAddress(record.key, encodeAddressRecord(record));
    this.put(context.self, record);
    context.log.info(`this server moved from ${formatAddress(current)} to ${formatAddress(address)}: signed address record, sequence ${record.sequence}`);
    return record;
  }

  /** At start: our own record, when we ever moved, so that peers dial us where we are. */
  announce(): void {
    const own = this.context.self < 0 ? null : this.newest[this.context.self];
    if (own !== null && own !== undefined && own.sequence > 0) this.context.send('others', { type: 'address', record: own });
  }

  /** At each period start: every address_resend_periods periods, every record we know (servers that were down learn moves). */
  onPeriod(period: number): void {
    if (period % address_resend_periods !== 0) return;
    for (const record of this.newest) if (record !== null && record !== undefined && record.sequence > 0) this.context.send('others', { type: 'address', record });
  }

  /** An ADDRESS message from server `from`. */
  handle(from: number, record: AddressRecord): void {
    const context = this.context;
    const index = this.check(record);
    if (index === -1) return context.reject('address_unknown_key', `ADDRESS from server ${from}: key ${toHex(record.key).slice(0, 16)}… is not a server of this network: ignored`);
    if (index === -2) return context.reject('address_bad_signature', `ADDRESS from server ${from}: the signature of server ${serverOf(record, context)}'s record does not verify: ignored`);
    const known = this.newest[index] ?? null;
    if (!isNewer(record, known)) {
      // The periodic re-sends make most of these: the same record again.
      context.count('address_not_newer');
      return;
    }
    context.store.recordAddress(record.key, encodeAddressRecord(record));
    this.put(index, record);
    context.count('address_learned');
    const address = addressOf(record);
    if (index === context.self) {
      context.log.warn(
        `ADDRESS from server ${from}: a record signed with this server's own key puts it at ${formatAddress(address)} (sequence ${record.sequence}), newer than ours: is another instance of this server running with the same key?`,
      );
    } else {
      context.log.info(`server ${index} moved to ${formatAddress(address)} (sequence ${record.sequence}, heard from server ${from})`);
      this.moved.push({ server: index, address });
    }
    // Passed on once: a second copy is not newer and stops here.
    for (let i = 0; i < context.configurations.size; i++) if (i !== context.self && i !== from) context.send(i, { type: 'address', record });
  }

  /**
   * The records with sequence > 0, by server index from `from`, at most `max`: the body of an
   * ADDRESSES reply (PROTOCOL §6.10). `more` says whether records were left out by `max`.
   */
  list(from: number, max: number): { records: AddressRecord[]; more: boolean } {
    const records: AddressRecord[] = [];
    for (let i = from; i < this.newest.length; i++) {
      const record = this.newest[i];
      if (record === null || record === undefined || record.sequence === 0) continue;
      if (records.length === max) return { records, more: true };
      records.push(record);
    }
    return { records, more: false };
  }
}

function serverOf(record: AddressRecord, context: NodeContext): number {
  return context.configurations.idOf(record.key);
}
