// A server's signed word of where its HTTP gateway answers (PROTOCOL §12.1), so that a page
// served by one server can reach a quorum of them:
//
//   signed = "scryp/gateway/v1" || network_id || server key (32) || sequence u64 || url_len u8 || url (UTF-8, ≤ 200 bytes)
//   JSON (GET /v1/gateways): [{"key": hex, "url": text, "sequence": n, "signature": hex}, …]
//   between servers (the GATEWAY message, 105..305 bytes):
//            server key (32) || sequence u64 || url_len u8 || url || signature (64)
//
// As with address records (address-record.ts), only the key's owner can sign one, and the
// highest sequence wins. A client checks each record itself: a gateway that lists a forged
// or foreign record only fails to help. Pure: `verify` is the caller's (the platform's strict one).

import { gateway_records_max, gateway_url_bytes_max, key_bytes, signature_bytes, u64_safe_max } from './constants.ts';
import { aint, concat, describe, equal, fromHex, Reader, toHex, utf8, Writer } from './bytes.ts';
import { fail, isScrypError } from './errors.ts';
import { domain } from './hash.ts';
import { type Network, serverIndexOf } from './network.ts';
import type { Verify } from './address-record.ts';
import type { Signer } from './signature.ts';

export interface GatewayRecord {
  readonly key: Uint8Array;
  /** Where the world reaches the server's gateway: an absolute http: or https: URL. */
  readonly url: string;
  readonly sequence: number;
  readonly signature: Uint8Array;
}

/** Refuses a URL a record cannot carry: not absolute http(s), with a user or password, or over 200 bytes. */
export function checkGatewayUrl(url: unknown, field: string): string {
  if (typeof url !== 'string') fail('BAD_TYPE', `${field}: expected a URL, got ${describe(url)}`);
  const bytes = utf8(url).length;
  if (bytes === 0 || bytes > gateway_url_bytes_max) fail('OUT_OF_RANGE', `${field}: ${bytes} bytes; a gateway URL is 1..${gateway_url_bytes_max}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail('BAD_GATEWAY_URL', `${field}: ${JSON.stringify(url.slice(0, 60))} is not an absolute http or https URL with a host`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail('BAD_GATEWAY_URL', `${field}: ${parsed.protocol} is not http: or https:`);
  if (parsed.username !== '' || parsed.password !== '') fail('BAD_GATEWAY_URL', `${field}: a gateway URL carries no user or password`);
  return url;
}

export function gatewayRecordSigningMessage(networkId: Uint8Array, record: Omit<GatewayRecord, 'signature'>): Uint8Array {
  const url = utf8(checkGatewayUrl(record.url, 'url'));
  const signed = new Writer(key_bytes + 8 + 1 + url.length).put(record.key).u64(aint(record.sequence, 0, u64_safe_max, 'sequence')).u8(url.length).put(url).done();
  return concat(domain.gateway, networkId, signed);
}

export function signGatewayRecord(signer: Signer, networkId: Uint8Array, url: string, sequence: number): GatewayRecord {
  const unsigned = { key: signer.publicKey, url, sequence };
  return { ...unsigned, signature: signer.sign(gatewayRecordSigningMessage(networkId, unsigned)) };
}

/**
 * The server index the record speaks for when it is valid for `network` (the servers in
 * force): -1 for a key that is not a server's, -2 for a signature that does not verify.
 */
export function checkGatewayRecord(network: Network, record: GatewayRecord, verify: Verify): number {
  const index = serverIndexOf(network, record.key);
  if (index < 0) return -1;
  return verify(record.signature, gatewayRecordSigningMessage(network.id, record), record.key) ? index : -2;
}

export function gatewayRecordToJson(record: GatewayRecord): { key: string; url: string; sequence: number; signature: string } {
  return { key: toHex(record.key), url: record.url, sequence: record.sequence, signature: toHex(record.signature) };
}

/**
 * The records of a GET /v1/gateways answer: each entry read strictly; an entry that does not
 * read is counted in `unreadable` and skipped (the others may still help). Not an array: BAD_TYPE.
 */
export function gatewayRecordsFromJson(json: unknown): { records: GatewayRecord[]; unreadable: number } {
  if (!Array.isArray(json)) fail('BAD_TYPE', `gateways: expected a list, got ${describe(json)}`);
  const records: GatewayRecord[] = [];
  let unreadable = 0;
  for (const entry of json.slice(0, gateway_records_max)) {
    try {
      if (typeof entry !== 'object' || entry === null) fail('BAD_TYPE', 'gateway record: expected an object');
      const { key, url, sequence, signature } = entry as Record<string, unknown>;
      records.push({
        key: fromHex(key, key_bytes, 'key'),
        url: checkGatewayUrl(url, 'url'),
        sequence: aint(sequence, 0, u64_safe_max, 'sequence'),
        signature: fromHex(signature, signature_bytes, 'signature'),
      });
    } catch (error) {
      if (!isScrypError(error)) throw error;
      unreadable++;
    }
  }
  return { records, unreadable: unreadable + Math.max(0, json.length - gateway_records_max) };
}

/** What a record takes between servers besides its URL: key, sequence, url_len and signature. */
export const gateway_record_fixed_bytes = key_bytes + 8 + 1 + signature_bytes;

/** The form servers pass to each other (the GATEWAY message): the signed fields, then the signature. */
export function encodeGatewayRecord(record: GatewayRecord): Uint8Array {
  const url = utf8(checkGatewayUrl(record.url, 'url'));
  return new Writer(gateway_record_fixed_bytes + url.length)
    .put(record.key)
    .u64(aint(record.sequence, 0, u64_safe_max, 'sequence'))
    .u8(url.length)
    .put(url)
    .put(record.signature)
    .done();
}

/** Reads one record strictly: the URL must be UTF-8 and a URL a record may carry. */
export function readGatewayRecord(reader: Reader): GatewayRecord {
  const key = reader.take(key_bytes, 'key');
  const sequence = reader.u64('sequence');
  const urlBytes = reader.take(reader.u8('url_len'), 'url');
  let url: string;
  try {
    url = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(urlBytes);
  } catch {
    fail('BAD_GATEWAY_URL', `${reader.what}.url: not UTF-8`);
  }
  const signature = reader.take(signature_bytes, 'signature');
  return { key, url: checkGatewayUrl(url, `${reader.what}.url`), sequence, signature };
}

/** Exactly one record, nothing after it. */
export function decodeGatewayRecord(bytes: Uint8Array): GatewayRecord {
  const reader = new Reader(bytes, 'gateway record');
  const record = readGatewayRecord(reader);
  reader.end();
  return record;
}

export function sameGatewayRecord(a: GatewayRecord, b: GatewayRecord): boolean {
  return a.sequence === b.sequence && a.url === b.url && equal(a.key, b.key) && equal(a.signature, b.signature);
}
