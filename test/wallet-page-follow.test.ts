// The Send screen follows a payment with follow.ts: asked every `everyMs`, or at once when
// the wallet says something changed (the pocket wallet runs in the page, and its
// WalletService calls onPaymentChange at every step), so that Committed shows the moment
// the wallet learns it, not at the next turn of a timer.

import { expect, test } from 'bun:test';
import { Changes, follow } from '../src/wallet/page/follow.ts';

const hour = 3_600_000;

/** Runs microtasks and timers until `done()` or 200 turns (bounded). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 200 && !done(); turn++) await Bun.sleep(1);
}

test('each change wakes the follow at once, however long its interval; it stops at the final answer', async () => {
  const stages = ['sent', 'accepted', 'committed'];
  let asked = 0;
  const changes = new Changes();
  const shown: string[] = [];
  const following = follow(
    async () => {
      const stage = stages[Math.min(asked++, stages.length - 1)]!;
      return { stage, final: stage === 'committed' };
    },
    { everyMs: hour, rounds: 10, wanted: () => true, render: (view) => shown.push(view.stage), failed: (error) => shown.push(`failed: ${String(error)}`), wait: (ms) => changes.next(ms) },
  );
  for (let step = 1; step < stages.length; step++) {
    await until(() => shown.length === step);
    await Bun.sleep(5); // nothing more is asked while nothing changes
    expect(shown).toEqual(stages.slice(0, step));
    changes.happened();
  }
  await following;
  expect(shown).toEqual(stages);
  expect(asked).toBe(3);
});

test('Changes.next settles after its time when nothing happens, and a change after that wakes nobody twice', async () => {
  const changes = new Changes();
  let settled = 0;
  await changes.next(1).then(() => settled++);
  expect(settled).toBe(1);
  changes.happened(); // no one waits: nothing to do
  const woken = changes.next(hour).then(() => settled++);
  changes.happened();
  await woken;
  expect(settled).toBe(2);
});

test('a screen that moved on is not shown anything more', async () => {
  let wanted = true;
  const shown: string[] = [];
  const changes = new Changes();
  const following = follow(async () => ({ final: false }), { everyMs: hour, rounds: 10, wanted: () => wanted, render: () => shown.push('view'), failed: () => {}, wait: (ms) => changes.next(ms) });
  await until(() => shown.length === 1);
  wanted = false;
  changes.happened();
  await following;
  expect(shown).toEqual(['view']);
});
