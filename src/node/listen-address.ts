// Where an HTTP edge of the node listens (--metrics, --http): `PORT` or `HOST:PORT`
// ([::1]:PORT for IPv6). A port alone listens on 127.0.0.1: nothing the node serves over
// HTTP is anybody else's business until the operator says so, and the node warns when
// the address is not loopback.

import { ScrypError } from '../errors.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** Only this machine can connect (127.0.0.0/8, ::1, localhost). */
  readonly loopback: boolean;
}

/** `option` names the flag in the message (`--metrics`, `--http`); an example address follows it. */
export function parseListenAddress(text: string, option: string, example: string): ListenAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?([0-9]{1,5})$/.exec(text.trim());
  if (match === null) throw new ScrypError('BAD_ADDRESS', `${option}: expected PORT or HOST:PORT (${example}), got "${text}"`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new ScrypError('BAD_ADDRESS', `${option}: port ${port} is not in 1..65535`);
  const host = (match[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  const loopback = host === 'localhost' || host === '::1' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
  return { host, port, loopback };
}

/** How a URL names a host: IPv6 in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
