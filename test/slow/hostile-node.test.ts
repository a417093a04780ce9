// The full hostile-input runs (bun run test:slow): 1,000,000 hostile datagrams and
// 100,000 hostile TCP connections against a running node, with honest payments all along.
// Without SCRYP_SLOW this file holds one trivial test, so a plain `bun test` stays fast.

import { describe, expect, test } from 'bun:test';
import { tcpFuzzScenario, udpFloodScenario } from '../helpers/hostile-scenarios.ts';

const slow = process.env.SCRYP_SLOW === '1';

describe('hostile input, full runs', () => {
  if (!slow) {
    test('runs only under bun run test:slow (SCRYP_SLOW=1)', () => expect(slow).toBe(false));
    return;
  }

  test('1,000,000 hostile UDP datagrams of 13 kinds', async () => {
    const seed = Number(process.env.SCRYP_SEED ?? 1000);
    const figures = await udpFloodScenario(1_000_000, seed).catch((error) => {
      console.log(`udp flood failed with seed ${seed}: SCRYP_SEED=${seed} repeats its choices`);
      throw error;
    });
    console.log(`udp flood, seed ${seed}: ${JSON.stringify(figures)}`);
  }, 900_000);

  test('100,000 hostile TCP connections of 10 kinds, plus silent and slow ones', async () => {
    const seed = Number(process.env.SCRYP_SEED ?? 2000);
    const figures = await tcpFuzzScenario(100_000, seed).catch((error) => {
      console.log(`tcp fuzz failed with seed ${seed}: SCRYP_SEED=${seed} repeats its choices`);
      throw error;
    });
    console.log(`tcp fuzz, seed ${seed}: ${JSON.stringify(figures)}`);
  }, 1_800_000);
});
