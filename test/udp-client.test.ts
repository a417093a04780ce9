// The UDP client against a scripted server on loopback: it believes only a reply that
// matches what it asked (kind, request id, sender, network, key and signature).

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { udp } from 'bun';
import { utf8 } from '../src/bytes.ts';
import { decodeRequest, encodeReply, Kind, Status } from '../src/client/codec.ts';
import { ReplyTimeout, UdpClient } from '../src/client/udp-client.ts';
import { sha256 } from '../src/hash.ts';
import { signerFromSeed } from '../src/signature.ts';

// Real sockets, timers or key stretching at its real cost: a busy CI machine can take several times
// the 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

const networkId = sha256(utf8('udp client test network'));
const server = signerFromSeed(sha256(utf8('udp client test server')));
const stranger = signerFromSeed(sha256(utf8('udp client test stranger')));

type Script = (request: ReturnType<typeof decodeRequest>, send: (bytes: Uint8Array) => void) => void;

let socket: udp.Socket<'uint8array'> | null = null;
let client: UdpClient | null = null;
afterEach(() => {
  socket?.close();
  client?.close();
  socket = null;
  client = null;
});

/** A server that answers each request as `script` says. */
async function scripted(script: Script): Promise<{ host: string; port: number }> {
  socket = await Bun.udpSocket({
    hostname: '127.0.0.1',
    binaryType: 'uint8array',
    socket: {
      data(s, data, port, address) {
        script(decodeRequest(data), (bytes) => s.send(bytes, port, address));
      },
    },
  });
  return { host: '127.0.0.1', port: socket.port };
}

const whoamiBody = { address: Uint8Array.of(127, 0, 0, 1, 0x30, 0x39) };

describe('UdpClient believes only the reply to what it asked', () => {
  test('a signed reply of another kind under the same request id is ignored; the right one is taken', async () => {
    let asked = 0;
    const target = await scripted((request, send) => {
      asked++;
      // First a valid, signed INFO-kind reply carrying the WHOAMI request's id ...
      send(encodeReply(Kind.INFO, request.requestId, Status.BAD_REQUEST, null, server, networkId));
      // ... then the real answer.
      send(encodeReply(Kind.WHOAMI, request.requestId, Status.OK, whoamiBody, server, networkId));
    });
    client = await UdpClient.open();
    const reply = await client.ask(target, { kind: Kind.WHOAMI }, { networkId, serverKey: server.publicKey, attempts: 2, timeoutMs: 200 });
    expect(reply.kind).toBe(Kind.WHOAMI);
    expect(reply.status).toBe(Status.OK);
    expect(client.rejectedReplies).toBe(1);
    expect(asked).toBe(1);
  });

  test('only replies of another kind, another key or another network: no answer (ReplyTimeout)', async () => {
    const otherNetwork = sha256(utf8('another network'));
    const target = await scripted((request, send) => {
      send(encodeReply(Kind.STATUS, request.requestId, Status.BAD_REQUEST, null, server, networkId));
      send(encodeReply(Kind.WHOAMI, request.requestId, Status.OK, whoamiBody, stranger, networkId));
      send(encodeReply(Kind.WHOAMI, request.requestId, Status.OK, whoamiBody, server, otherNetwork));
    });
    client = await UdpClient.open();
    const asking = client.ask(target, { kind: Kind.WHOAMI }, { networkId, serverKey: server.publicKey, attempts: 2, timeoutMs: 100 });
    await expect(asking).rejects.toBeInstanceOf(ReplyTimeout);
    expect(client.rejectedReplies).toBe(6); // three per attempt, two attempts
  });
});

describe('UdpClient after a datagram to a closed port', () => {
  test('a request sent right after one to a port nobody listens on still leaves (the ICMP error of the first surfaces on the next send)', async () => {
    let asked = 0;
    const live = await scripted((request, send) => {
      asked++;
      send(encodeReply(Kind.WHOAMI, request.requestId, Status.OK, whoamiBody, server, networkId));
    });
    // A port that was just free: nothing listens there, so the kernel answers "port unreachable".
    const probe = await Bun.udpSocket({ hostname: '127.0.0.1' });
    const closed = { host: '127.0.0.1', port: probe.port };
    probe.close();
    client = await UdpClient.open();
    const options = { networkId, serverKey: server.publicKey, attempts: 2, timeoutMs: 150 };
    // Both at once, the closed one first (as learnChain asks every server of the file): found by
    // the fault suite, the live server then received none of the client's datagrams.
    const results = await Promise.allSettled([client.ask(closed, { kind: Kind.WHOAMI }, options), client.ask(live, { kind: Kind.WHOAMI }, options)]);
    expect(results[0]!.status).toBe('rejected');
    expect(results[1]!.status).toBe('fulfilled');
    expect(asked).toBeGreaterThanOrEqual(1);
  });
});
