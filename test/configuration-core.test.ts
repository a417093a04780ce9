// Configuration changes in the sans-IO cores (src/node/*, PROTOCOL §8.13), on the in-process
// network of test/helpers/core-net.ts: a server that slept through several changes, its
// own removal among them, learns them when it comes back, stops taking part and says why;
// a change refused for each rule; and a change is committed exactly once, at the period
// its certificate names, by every server.

import { describe, expect, test } from 'bun:test';
import { periodOf, startOf } from '../src/schedule.ts';
import { signAddressRecord } from '../src/address-record.ts';
import { address_resend_periods } from '../src/constants.ts';
import { CoreNet } from './helpers/core-net.ts';

function latestNumber(net: CoreNet, index: number): number {
  return net.core(index).configurations.latest.number;
}

describe('configuration changes in the cores', () => {
  test('a server asleep through three changes, its own removal the last, learns them on waking, stops taking part and says why', () => {
    const net = new CoreNet(4);
    net.startAll();
    net.advanceToPeriod(periodOf(net.timing, net.now) + 2, 300);
    net.crash(3);
    const live = [0, 1, 2];
    // Two reorders (the alpha and beta move), then server 3 is removed: each signed by three of four.
    const steps: [order: number[], signers: number[]][] = [
      [[1, 2, 0, 3], [0, 1, 2]],
      [[2, 3, 1, 0], [0, 1, 2]],
      [[2, 1, 0], [0, 1, 2]],
    ];
    for (const [k, [order, signers]] of steps.entries()) {
      const change = net.changeTo(0, order, signers);
      expect(net.core(0).submitChange(change, net.now)).toBeNull();
      net.pump();
      net.advanceUntil(() => live.every((i) => latestNumber(net, i) === k + 1), net.now + 20_000, `configuration ${k + 1} committed`);
      const first = net.core(0).configurations.latest.first;
      net.advanceUntil(() => live.every((i) => net.core(i).committed.period >= first + 1), net.now + 20_000, `configuration ${k + 1} in force`);
    }
    // Server 0 knows three committed changes; the others too.
    for (const i of live) expect(net.core(i).chain.length).toBe(3);
    expect(net.core(0).removed).toBeNull();
    const before = net.core(0).committed.period;
    net.advanceToPeriod(periodOf(net.timing, net.now) + 6, 300);
    expect(net.core(0).committed.period).toBeGreaterThan(before + 4); // the three go on, a quorum of three

    // Server 3 wakes: it catches up across the changes, learns it was removed, and stops.
    const core3 = net.start(3);
    net.advanceUntil(() => core3.committed.period >= net.core(0).committed.period && core3.chain.length === 3, net.now + 30_000, 'server 3 caught up');
    expect(core3.removed).toContain('configuration 3');
    expect(net.logOf(3)).toContain('REMOVED: configuration 3');
    expect(core3.isAvailable(net.now)).toBe(false);
    expect(net.hashHex(3)).toBe(net.hashHex(0));
    // It votes no more: the periods after its return were certified by the three alone.
    const votedBefore = core3.lastVotePeriod;
    net.advanceToPeriod(periodOf(net.timing, net.now) + 3, 300);
    expect(core3.lastVotePeriod).toBe(votedBefore);
    expect(core3.committed.period).toBe(net.core(0).committed.period);
  });

  test('a change is refused with its code: too few signatures, another configuration, a first period already past', () => {
    const net = new CoreNet(4);
    net.startAll();
    net.advanceToPeriod(periodOf(net.timing, net.now) + 2, 300);
    const period = periodOf(net.timing, net.now);
    expect(net.core(0).submitChange(net.changeTo(0, [1, 2, 3], [0, 1]), net.now)?.code).toBe('CHANGE_SIGNATURES');
    expect(net.core(0).submitChange(net.changeTo(0, [1, 2, 3], [0, 1, 2], period + 1), net.now)?.code).toBe('CHANGE_TOO_LATE');
    const stale = { ...net.changeTo(0, [1, 2, 3], [0, 1, 2]), replaces: 1 };
    expect(net.core(0).submitChange(stale, net.now)?.code).toBe('CHANGE_NOT_CURRENT');
    const duplicate = net.changeTo(0, [1, 1, 2], [0, 1, 2]);
    expect(net.core(0).submitChange(duplicate, net.now)?.code).toBe('CHANGE_DUPLICATE_KEY');
    // Nothing was passed on, nothing committed.
    net.advanceToPeriod(periodOf(net.timing, net.now) + 6, 300);
    for (let i = 0; i < 4; i++) expect(net.core(i).chain.length).toBe(0);
  });

  test('every server commits the change once, in the same period, and the new configuration starts at its first period', () => {
    const net = new CoreNet(3);
    net.startAll();
    net.advanceToPeriod(periodOf(net.timing, net.now) + 2, 300);
    const change = net.changeTo(1, [2, 0, 1], [1, 2]);
    expect(net.core(1).submitChange(change, net.now)).toBeNull();
    net.pump();
    net.advanceUntil(() => [0, 1, 2].every((i) => net.core(i).chain.length === 1), net.now + 20_000, 'the change committed');
    const carriers = [0, 1, 2].map((i) => net.core(i).chain[0]!.carrier);
    expect(new Set(carriers).size).toBe(1);
    const first = net.core(0).configurations.latest.first;
    expect(first).toBe(carriers[0]! + 4);
    // Submitting it again changes nothing: it is no longer current.
    expect(net.core(2).submitChange(change, net.now)?.code).toBe('CHANGE_NOT_CURRENT');
    net.advanceUntil(() => net.core(0).committed.period >= first + 2, net.now + 20_000, 'the new configuration in force');
    // From its first period the rotation is the new order: period first's alpha is the new list's server first mod 3.
    const expected = [2, 0, 1][first % 3]!;
    expect(net.core(0).configurations.alphaOf(first, first - 1)).toBe(expected);
    for (let i = 0; i < 3; i++) expect(net.core(i).chain.length).toBe(1);
  });

  test('a server a change brought in moves: its record is kept and resent with the others, and the node goes on (no hole in the table)', () => {
    const net = new CoreNet(3);
    net.startAll();
    net.advanceToPeriod(periodOf(net.timing, net.now) + 2, 300);
    // Two servers that no core here runs join the configuration: directory ids 3 and 4.
    const extra = [net.crypto.signer('core-net extra 0'), net.crypto.signer('core-net extra 1')];
    const change = net.changeTo(0, [0, 1, 2, ...extra.map((signer, i) => ({ key: signer.publicKey, address: { host: '10.0.0.9', port: 5000 + i } }))], [0, 1]);
    expect(net.core(0).submitChange(change, net.now)).toBeNull();
    net.pump();
    net.advanceUntil(() => [0, 1, 2].every((i) => net.core(i).configurations.size === 5), net.now + 20_000, 'the change committed');
    // The second newcomer (id 4) moves; its record reaches server 0 through server 1.
    const record = signAddressRecord(extra[1]!, net.network.id, { host: '10.0.0.9', port: 6001 }, 1_700_000_000_000);
    net.inject(1, 0, { type: 'address', record });
    expect(net.core(0).addressOf(4)).toEqual({ host: '10.0.0.9', port: 6001 });
    // At the next resend period (every address_resend_periods) every record goes out again.
    const resend = Math.ceil((periodOf(net.timing, net.now) + 1) / address_resend_periods) * address_resend_periods;
    net.advanceToPeriod(resend + 1, 300);
    expect(net.sent.some((sent) => sent.from === 0 && sent.message.type === 'address' && sent.at >= startOf(net.timing, resend))).toBe(true);
    expect(net.core(0).committed.period).toBeGreaterThanOrEqual(resend - 1);
  });
});
