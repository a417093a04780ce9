// The 6-byte `ip` object of the author's series: IPv4 (4 bytes) then the port (u16).
// pack("10.1.2.3", 4001) = 0a010203 0fa1.

import { address_bytes } from './constants.ts';
import { abytes, describe } from './bytes.ts';
import { fail } from './errors.ts';

export interface Address {
  host: string; // dotted quad
  port: number; // 1..65535
}

const partPattern = /^(0|[1-9][0-9]{0,2})$/; // decimal, no leading zeros, no signs

function parseHost(host: unknown): [number, number, number, number] {
  if (typeof host !== 'string') fail('BAD_ADDRESS', `host: expected a dotted quad, got ${describe(host)}`);
  const parts = host.split('.');
  if (parts.length !== 4) fail('BAD_ADDRESS', `host: expected four parts, got ${JSON.stringify(host)}`);
  const out = parts.map((part) => {
    if (!partPattern.test(part) || Number(part) > 255) fail('BAD_ADDRESS', `host: part ${JSON.stringify(part)} is not 0-255`);
    return Number(part);
  });
  return out as [number, number, number, number];
}

function checkPort(port: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail('BAD_ADDRESS', `port: expected 1..65535, got ${describe(port)}`);
  }
  return port;
}

export function pack(host: string, port: number): Uint8Array {
  const [a, b, c, d] = parseHost(host);
  const p = checkPort(port);
  return Uint8Array.of(a, b, c, d, p >> 8, p & 0xff);
}

export function unpack(bytes: Uint8Array): Address {
  abytes(bytes, address_bytes, 'ip');
  const port = (bytes[4]! << 8) | bytes[5]!;
  if (port === 0) fail('BAD_ADDRESS', 'port: 0 is not a port');
  return { host: `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`, port };
}

/** "host:port" as written in network files and on the command line. */
export function parseAddress(text: unknown, field = 'address'): Address {
  if (typeof text !== 'string') fail('BAD_ADDRESS', `${field}: expected "a.b.c.d:port", got ${describe(text)}`);
  const colon = text.lastIndexOf(':');
  if (colon < 0) fail('BAD_ADDRESS', `${field}: expected "a.b.c.d:port", got ${JSON.stringify(text)}`);
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^[1-9][0-9]{0,4}$/.test(portText)) fail('BAD_ADDRESS', `${field}: bad port ${JSON.stringify(portText)}`);
  parseHost(host);
  return { host, port: checkPort(Number(portText)) };
}

export function formatAddress(address: Address): string {
  return `${address.host}:${address.port}`;
}

/** Bun reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d; this gives a.b.c.d. */
export function plainIPv4(host: string): string {
  return host.startsWith('::ffff:') ? host.slice(7) : host;
}
