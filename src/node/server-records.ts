// Signed records that each server makes about itself and every server passes on, with no
// vote: where it is (address records, PROTOCOL §3.10) and where its HTTP gateway answers
// (gateway records, §3.11). One mechanism for both, sans IO:
//
//   valid and newer    -> kept (on disk), passed on once to every other server, in force
//   bad signature,
//   unknown key,
//   older or the same  -> counted (<kind>_bad_signature, _unknown_key, _not_newer) and ignored
//   newer, our own key -> kept too, with a warning: another instance signed it
//
// A record of a server is signed by that server's key (a server the configurations name,
// in any configuration: servers a change brought in too); the highest sequence wins. Every
// record known is re-sent every `resendPeriods` periods, so that a server that was down
// learns them.

import { isNewer } from '../address-record.ts';
import { toHex } from '../bytes.ts';
import { isScrypError } from '../errors.ts';
import type { PeerMessage } from '../peer/messages.ts';
import type { NodeContext } from './context.ts';

export interface SignedServerRecord {
  readonly key: Uint8Array;
  readonly sequence: number;
  readonly signature: Uint8Array;
}

/** What differs between kinds of record: their bytes, their message, where the store keeps them. */
export interface RecordKind<R extends SignedServerRecord> {
  /** Counters' prefix and the log's word: `address`, `gateway`. */
  readonly name: string;
  readonly resendPeriods: number;
  encode(record: R): Uint8Array;
  decode(bytes: Uint8Array): R;
  signingMessage(networkId: Uint8Array, record: R): Uint8Array;
  message(record: R): PeerMessage;
  /** What a record says, for the log: `at 10.0.0.1:4001`. */
  describe(record: R): string;
  stored(context: NodeContext): Uint8Array[];
  store(context: NodeContext, record: R, bytes: Uint8Array): void;
}

export class ServerRecords<R extends SignedServerRecord> {
  /** The newest valid record of each server, by directory id (null: none beyond sequence 0). */
  private readonly newest: (R | null)[];

  constructor(
    private readonly context: NodeContext,
    private readonly kind: RecordKind<R>,
  ) {
    this.newest = context.configurations.directory.map(() => null);
    for (const bytes of kind.stored(context)) {
      let record: R;
      try {
        record = kind.decode(bytes);
      } catch (error) {
        if (!isScrypError(error)) throw error;
        context.reject(`${kind.name}_stored_bad`, `a stored ${kind.name} record does not decode (${error.message}): ignored`);
        continue;
      }
      const id = this.check(record);
      if (id < 0) {
        context.reject(`${kind.name}_stored_bad`, `a stored ${kind.name} record is not valid for this network (key ${toHex(record.key).slice(0, 16)}…): ignored`);
        continue;
      }
      if (isNewer(record, this.newest[id] ?? null)) this.put(id, record);
    }
  }

  /**
   * The directory id of a record's server when its signature verifies; -1: no server this
   * server knows has that key; -2: the signature does not verify.
   */
  check(record: R): number {
    const context = this.context;
    const id = context.configurations.idOf(record.key);
    if (id < 0) return -1;
    return context.verifySignature(record.signature, this.kind.signingMessage(context.network.id, record), record.key) ? id : -2;
  }

  /**
   * Keeps a server's newest record. The directory grows with committed changes after this
   * table was made: no hole is left before a server a change brought in (found by the fault
   * suite: a hole read at the next resend stopped the node).
   */
  private put(id: number, record: R): void {
    while (this.newest.length < id) this.newest.push(null);
    this.newest[id] = record;
  }

  /** The newest record of a server, or null. */
  recordOf(id: number): R | null {
    return this.newest[id] ?? null;
  }

  /** The records with sequence > 0, by directory id from `from`. */
  *records(from = 0): Generator<{ id: number; record: R }> {
    for (let id = from; id < this.newest.length; id++) {
      const record = this.newest[id];
      if (record !== null && record !== undefined && record.sequence > 0) yield { id, record };
    }
  }

  /** Keeps a record this server just signed about itself (on disk first). */
  keepOwn(record: R): void {
    const context = this.context;
    this.kind.store(context, record, this.kind.encode(record));
    this.put(context.self, record);
  }

  /** At start: our own record, if we have one, so that peers learn it at once. */
  announce(): void {
    const own = this.context.self < 0 ? null : this.recordOf(this.context.self);
    if (own !== null && own.sequence > 0) this.context.send('others', this.kind.message(own));
  }

  /** At each period start: every resendPeriods periods, every record we know (servers that were down learn them). */
  onPeriod(period: number): void {
    if (period % this.kind.resendPeriods !== 0) return;
    for (const { record } of this.records()) this.context.send('others', this.kind.message(record));
  }

  /**
   * A record from server `from`: the id of the server it speaks for when it is valid and
   * newer (kept, on disk, and passed on once to every other server); null when it is not.
   */
  handle(from: number, record: R): number | null {
    const context = this.context;
    const name = this.kind.name;
    const id = this.check(record);
    if (id === -1) {
      context.reject(`${name}_unknown_key`, `${name.toUpperCase()} from server ${from}: key ${toHex(record.key).slice(0, 16)}… is not a server of this network: ignored`);
      return null;
    }
    if (id === -2) {
      context.reject(`${name}_bad_signature`, `${name.toUpperCase()} from server ${from}: the signature of server ${context.configurations.idOf(record.key)}'s record does not verify: ignored`);
      return null;
    }
    if (!isNewer(record, this.recordOf(id))) {
      // The periodic re-sends make most of these: the same record again.
      context.count(`${name}_not_newer`);
      return null;
    }
    this.kind.store(context, record, this.kind.encode(record));
    this.put(id, record);
    context.count(`${name}_learned`);
    if (id === context.self) {
      context.log.warn(`${name.toUpperCase()} from server ${from}: a record signed with this server's own key puts it ${this.kind.describe(record)} (sequence ${record.sequence}), newer than ours: is another instance of this server running with the same key?`);
    }
    // Passed on once: a second copy is not newer and stops here.
    for (let i = 0; i < context.configurations.size; i++) if (i !== context.self && i !== from) context.send(i, this.kind.message(record));
    return id;
  }
}
