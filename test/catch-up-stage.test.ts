// Catch-up's stage (src/node/catch-up.ts): one owner, changed only through enter(next), which
// refuses a move the machine does not make. The table by hand; then real cores
// (test/helpers/core-net.ts) walked through each path: a server that slept is behind, asks
// for records, replays them and is idle again; one whose state is not the certified one is
// out of sync, asks for a snapshot, receives it page by page and is back; and availability
// says what the stage says at every step.

import { describe, expect, test } from 'bun:test';
import { type StageName, validTransition } from '../src/node/catch-up.ts';
import { Status } from '../src/client/codec.ts';
import { periodOf } from '../src/schedule.ts';
import { CoreNet, first_period } from './helpers/core-net.ts';

const P = first_period;
const names: StageName[] = ['idle', 'behind', 'asking_records', 'out_of_sync', 'asking_snapshot', 'receiving_snapshot'];

describe('the moves catch-up makes', () => {
  test('from each stage, only to the stages its events lead to', () => {
    const allowed: Record<StageName, StageName[]> = {
      idle: ['behind', 'out_of_sync'],
      behind: ['idle', 'asking_records', 'out_of_sync'],
      asking_records: ['idle', 'behind', 'out_of_sync'],
      out_of_sync: ['idle', 'behind', 'asking_snapshot'],
      asking_snapshot: ['idle', 'behind', 'out_of_sync', 'receiving_snapshot'],
      receiving_snapshot: ['idle', 'behind', 'out_of_sync'],
    };
    for (const from of names) for (const to of names) expect(validTransition(from, to), `${from} -> ${to}`).toBe(from === to || allowed[from].includes(to));
    // A snapshot is received only after it was asked for; records are never asked while out of sync.
    expect(validTransition('idle', 'receiving_snapshot')).toBe(false);
    expect(validTransition('out_of_sync', 'asking_records')).toBe(false);
  });
});

describe('a server walks the stages', () => {
  test('asleep through periods: behind, asking records, and idle once replayed; unavailable until then', () => {
    const net = new CoreNet();
    net.startAll();
    const core = net.sleepThrough(2, P + 2, P + 8);
    const seen: string[] = [core.catchUpStage.name];
    // The stage is looked at as every message moves (a request and its answer pass within one step).
    const watch = () => {
      const name = core.catchUpStage.name;
      if (seen.at(-1) !== name) seen.push(name);
      // Whatever the stage, a client hears what availability says of it.
      expect(core.balance(net.wallets[0]!.publicKey, net.now).status === Status.UNAVAILABLE).toBe(!core.isAvailable(net.now));
      return core.committed.period === net.core(0).committed.period && name === 'idle';
    };
    net.intercept = (_from, _to, message) => {
      watch();
      return message;
    };
    net.advanceUntil(watch, net.now + 10_000, 'server 2 caught up');
    expect(seen).toEqual(['behind', 'asking_records', 'idle']);
    net.advanceToPeriod(periodOf(net.timing, net.now) + 1, 500);
    expect(core.isAvailable(net.now)).toBe(true);
  });

  test('out of sync: asking a snapshot, receiving it page by page, and back', () => {
    const net = new CoreNet();
    net.startAll();
    net.advanceToPeriod(P + 3, 200);
    expect(net.pay(0, net.payment(0, 1, 10)).status).toBe(Status.ACCEPTED);
    const core = net.core(2);
    const seen: string[] = [core.catchUpStage.name];
    const watch = () => {
      const name = core.catchUpStage.name;
      if (seen.at(-1) !== name) seen.push(name);
      return seen.includes('receiving_snapshot') && name === 'idle';
    };
    net.intercept = (_from, to, message) => {
      watch();
      if (to !== 2 || message.type !== 'proposal' || message.period !== P + 3) return message;
      return net.resignProposal({ ...message, transactions: new Uint8Array(0) });
    };
    net.advanceUntil(watch, net.now + 20_000, 'server 2 repaired');
    expect(seen.slice(0, 4)).toEqual(['idle', 'out_of_sync', 'asking_snapshot', 'receiving_snapshot']);
    expect(core.stateHash).toEqual(net.core(0).stateHash);
  });
});
