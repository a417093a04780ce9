// CONFIG and CHANGE, the client requests of server-set changes (PROTOCOL §6.11): the bytes
// both ways, the variable CHANGE body, the reply never longer than the request, and
// what a client refuses. (The requests against real servers: test/server-set.integration.test.ts.)

import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import {
  ChangeVerdict,
  config_body_fixed_bytes,
  configChunkThatFits,
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  Kind,
  replyBytes,
  requestBytesFor,
  Status,
} from '../src/client/codec.ts';
import { datagram_bytes_max } from '../src/constants.ts';
import { codeOf } from './helpers/errors.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

const { network } = testNetwork();
const server = testSigner('server 0');

describe('CONFIG', () => {
  test('a request is padded to a whole datagram, so the largest piece fits; the reply is 30 + n bytes of body', () => {
    expect(requestBytesFor(Kind.CONFIG)).toBe(datagram_bytes_max);
    expect(config_body_fixed_bytes).toBe(30);
    expect(configChunkThatFits(datagram_bytes_max)).toBe(datagram_bytes_max - replyBytes(30));
    expect(configChunkThatFits(128)).toBe(0);
  });

  test('requests and replies round-trip; a piece beyond the change is a malformed reply', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ minLength: 0, maxLength: 500 }), (index, offset, chunk) => {
        const request = encodeRequest({ kind: Kind.CONFIG, requestId: 7, index, offset, length: requestBytesFor(Kind.CONFIG) });
        expect(decodeRequest(request)).toMatchObject({ kind: Kind.CONFIG, index, offset });
        const body = { changes: 3, latest: 3, latestFirst: 99, committedPeriod: 120, index: 1, total: chunk.length + 10, offset: 10, chunk };
        const reply = decodeReply(encodeReply(Kind.CONFIG, 7, Status.OK, body, server, network.id));
        expect(reply.body).toEqual(body);
      }),
      { numRuns: 100 },
    );
    const beyond = { changes: 1, latest: 1, latestFirst: 14, committedPeriod: 20, index: 0, total: 50, offset: 40, chunk: new Uint8Array(20) };
    expect(codeOf(() => decodeReply(encodeReply(Kind.CONFIG, 1, Status.OK, beyond, server, network.id)))).toBe('BAD_REPLY');
    const noSuchChange = { changes: 1, latest: 1, latestFirst: 14, committedPeriod: 20, index: 1, total: 5, offset: 0, chunk: new Uint8Array(5) };
    expect(codeOf(() => decodeReply(encodeReply(Kind.CONFIG, 1, Status.OK, noSuchChange, server, network.id)))).toBe('BAD_REPLY');
  });
});

describe('CHANGE', () => {
  test('the body is a length and that many bytes; the request is as long as the change (at most 1222 bytes of it)', () => {
    const change = Uint8Array.from({ length: 434 }, (_, i) => (i * 7) & 0xff);
    const bytes = encodeRequest({ kind: Kind.CHANGE, requestId: 9, change, length: 10 + change.length });
    expect(bytes.length).toBe(444);
    expect(bytes[8]).toBe(0x01);
    expect(bytes[9]).toBe(0xb2);
    const decoded = decodeRequest(bytes);
    expect(decoded.kind).toBe(Kind.CHANGE);
    expect(decoded.kind === Kind.CHANGE && [...decoded.change]).toEqual([...change]);
    // Padded longer: still the same change; a nonzero byte after it is BAD_PADDING.
    const padded = encodeRequest({ kind: Kind.CHANGE, requestId: 9, change, length: 600 });
    expect(decodeRequest(padded).kind).toBe(Kind.CHANGE);
    padded[599] = 1;
    expect(codeOf(() => decodeRequest(padded))).toBe('BAD_PADDING');
    // A length beyond the datagram, or no change at all, is refused.
    const cut = bytes.slice(0, 300);
    expect(codeOf(() => decodeRequest(cut))).toBe('REQUEST_TOO_SHORT');
    const empty = encodeRequest({ kind: Kind.CONFIG, requestId: 1, index: 0, offset: 0, length: 128 });
    empty[3] = Kind.CHANGE;
    expect(codeOf(() => decodeRequest(empty))).toBe('REQUEST_TOO_SHORT');
    expect(codeOf(() => encodeRequest({ kind: Kind.CHANGE, requestId: 9, change: new Uint8Array(1223), length: 1232 }))).toBe('OUT_OF_RANGE');
  });

  test('the reply is a verdict and the newest configuration; an unknown verdict is a malformed reply', () => {
    for (const verdict of Object.values(ChangeVerdict)) {
      const reply = decodeReply(encodeReply(Kind.CHANGE, 3, Status.OK, { verdict, latest: 2 }, server, network.id));
      expect(reply.body).toEqual({ verdict, latest: 2 });
      expect(replyBytes(5)).toBeLessThanOrEqual(128); // never longer than the smallest request
    }
    const bytes = encodeReply(Kind.CHANGE, 3, Status.OK, { verdict: 0, latest: 2 }, server, network.id);
    bytes[9] = 99;
    expect(codeOf(() => decodeReply(bytes))).toBe('BAD_REPLY');
  });
});
