// Where each server's HTTP gateway answers (docs/PROTOCOL.md §3.11, §6.12), sans IO: a
// server started with --http-public URL signs a gateway record of that URL, and every
// server keeps, passes on and re-sends the records it learns as it does address records
// (server-records.ts). GET /v1/gateways lists the records of the servers in force, so that
// a page served by one gateway can reach a quorum of servers.

import { gateway_resend_periods } from '../constants.ts';
import { nextSequence } from '../address-record.ts';
import { decodeGatewayRecord, encodeGatewayRecord, type GatewayRecord, gatewayRecordSigningMessage, signGatewayRecord } from '../gateway-record.ts';
import type { NodeContext } from './context.ts';
import { type RecordKind, ServerRecords } from './server-records.ts';

const gateway_records: RecordKind<GatewayRecord> = {
  name: 'gateway',
  resendPeriods: gateway_resend_periods,
  encode: encodeGatewayRecord,
  decode: decodeGatewayRecord,
  signingMessage: gatewayRecordSigningMessage,
  message: (record) => ({ type: 'gateway', record }),
  describe: (record) => `at ${record.url}`,
  stored: (context) => context.store.gatewayRecords(),
  store: (context, record, bytes) => context.store.recordGateway(record.key, bytes),
};

export class Gateways {
  private readonly records: ServerRecords<GatewayRecord>;

  constructor(private readonly context: NodeContext) {
    this.records = new ServerRecords(context, gateway_records);
  }

  /**
   * This server's gateway answers at `url`: signs a new record when its newest one says
   * otherwise (sequence = max(last own + 1, now)), keeps it, and returns it; null when
   * nothing changed, or while this server is joining (no one would take its record).
   */
  publish(url: string, now: number): GatewayRecord | null {
    const context = this.context;
    if (context.self < 0) return null;
    const own = this.records.recordOf(context.self);
    if (own !== null && own.url === url) return null;
    const record = signGatewayRecord(context.signer, context.network.id, url, nextSequence(own?.sequence ?? 0, now));
    this.records.keepOwn(record);
    context.log.info(`this server's gateway answers at ${url}: signed gateway record, sequence ${record.sequence}`);
    return record;
  }

  /** The newest record of each server in force that has one, in rotation order. */
  inForce(): GatewayRecord[] {
    const out: GatewayRecord[] = [];
    for (const id of this.context.membership().ids) {
      const record = this.records.recordOf(id);
      if (record !== null) out.push(record);
    }
    return out;
  }

  /** At start: our own record, if we have one. */
  announce(): void {
    this.records.announce();
  }

  /** At each period start: every gateway_resend_periods periods, every record we know. */
  onPeriod(period: number): void {
    this.records.onPeriod(period);
  }

  /** A GATEWAY message from server `from`. */
  handle(from: number, record: GatewayRecord): void {
    const id = this.records.handle(from, record);
    if (id !== null && id !== this.context.self) this.context.log.info(`server ${id}'s gateway answers at ${record.url} (sequence ${record.sequence}, heard from server ${from})`);
  }
}
