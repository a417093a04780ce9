// The network's time (src/client/network-time.ts): a sample halves the round trip, and the
// median of a majority's samples is what a wallet stamps payments with: a minority of
// servers whose clocks are off, or who lie, cannot move it past the honest ones.

import { describe, expect, test } from 'bun:test';
import { type Network, parseNetwork } from '../src/network.ts';
import { networkOffset, sampleOf } from '../src/client/network-time.ts';

const key = (i: number) => ['d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e', 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf'][i]!;
const networkOf = (n: number): Network =>
  parseNetwork({ name: 'time', period_ms: 1000, blackout_ms: 100, skew_ms: 500, servers: Array.from({ length: n }, (_, i) => ({ key: key(i), ip: `127.0.0.1:${4001 + i}` })), genesis: [] });

describe('the network time', () => {
  test('a sample reads the server clock half way through the round trip', () => {
    // Sent at 1000 by our clock, back at 1100; the server said 121_050: it is 120 s ahead of us.
    expect(sampleOf(0, 1000, 1100, 121_050)).toEqual({ server: 0, offsetMs: 120_000, roundTripMs: 100 });
  });

  test('the median of a majority’s samples; with fewer, no network time', () => {
    const five = networkOf(5);
    const samples = [120_000, 119_990, 120_020, -3_600_000, 9_000_000].map((offsetMs, server) => ({ server, offsetMs, roundTripMs: 20 }));
    // Two servers far off (or lying) in both directions: the median stays with the honest three.
    expect(networkOffset(five, samples)).toBe(120_000);
    expect(networkOffset(five, samples.slice(0, 2))).toBe(null); // 2 of 5 is no majority
    expect(networkOffset(networkOf(3), samples.slice(0, 2))).toBe(119_995); // 2 of 3 is: the mean of the middle two
  });
});
