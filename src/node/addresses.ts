// Where each server is now (docs/PROTOCOL.md §3.10), sans IO: the network file's address
// (sequence 0) until a newer signed address record arrives. The core routes ADDRESS
// messages here; the node drains `moved` and makes its transport dial the new address.
// Records are kept, checked, passed on and re-sent as every signed server record is
// (server-records.ts): every address_resend_periods periods, at most 64 records of 110 bytes.

import { address_resend_periods } from '../constants.ts';
import type { Address } from '../ip.ts';
import { formatAddress } from '../ip.ts';
import { type AddressRecord, addressOf, addressRecordSigningMessage, decodeAddressRecord, encodeAddressRecord, nextSequence, signAddressRecord } from '../address-record.ts';
import type { NodeContext } from './context.ts';
import { type RecordKind, ServerRecords } from './server-records.ts';

const address_records: RecordKind<AddressRecord> = {
  name: 'address',
  resendPeriods: address_resend_periods,
  encode: encodeAddressRecord,
  decode: decodeAddressRecord,
  signingMessage: addressRecordSigningMessage,
  message: (record) => ({ type: 'address', record }),
  describe: (record) => `at ${formatAddress(addressOf(record))}`,
  stored: (context) => context.store.addressRecords(),
  store: (context, record, bytes) => context.store.recordAddress(record.key, bytes),
};

export class Addresses {
  /** The newest valid record of each server (server-records.ts); none: the network file's address. */
  private readonly records: ServerRecords<AddressRecord>;
  /** Servers whose address in force changed, for the node's transport (drained by it). */
  readonly moved: { server: number; address: Address }[] = [];

  constructor(private readonly context: NodeContext) {
    this.records = new ServerRecords(context, address_records);
  }

  /** The address in force for a server: its newest record's, or the network file's. */
  addressOf(server: number): Address {
    const record = this.records.recordOf(server);
    return record === null ? this.context.configurations.addressOf(server) : addressOf(record);
  }

  /** The newest record of a server, or null (the network file's address, sequence 0). */
  recordOf(server: number): AddressRecord | null {
    return this.records.recordOf(server);
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
    const record = signAddressRecord(context.signer, context.network.id, address, nextSequence(this.recordOf(context.self)?.sequence ?? 0, now));
    this.records.keepOwn(record);
    context.log.info(`this server moved from ${formatAddress(current)} to ${formatAddress(address)}: signed address record, sequence ${record.sequence}`);
    return record;
  }

  /** At start: our own record, when we ever moved, so that peers dial us where we are. */
  announce(): void {
    this.records.announce();
  }

  /** At each period start: every address_resend_periods periods, every record we know (servers that were down learn moves). */
  onPeriod(period: number): void {
    this.records.onPeriod(period);
  }

  /** An ADDRESS message from server `from`. */
  handle(from: number, record: AddressRecord): void {
    const id = this.records.handle(from, record);
    if (id === null || id === this.context.self) return;
    const address = addressOf(record);
    this.context.log.info(`server ${id} moved to ${formatAddress(address)} (sequence ${record.sequence}, heard from server ${from})`);
    this.moved.push({ server: id, address });
  }

  /**
   * The records with sequence > 0, by server index from `from`, at most `max`: the body of an
   * ADDRESSES reply (PROTOCOL §6.10). `more` says whether records were left out by `max`.
   */
  list(from: number, max: number): { records: AddressRecord[]; more: boolean } {
    const records: AddressRecord[] = [];
    for (const { record } of this.records.records(from)) {
      if (records.length === max) return { records, more: true };
      records.push(record);
    }
    return { records, more: false };
  }
}
