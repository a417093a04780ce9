// The full hostile-input runs (bun run test:slow): 1,000,000 hostile datagrams and
// 100,000 hostile TCP connections against a running node, with honest payments all along.
// Without SCRYP_SLOW they are skipped, so a plain `bun test` stays fast.

import { describe, test } from 'bun:test';
import { tcpFuzzScenario, udpFloodScenario } from '../helpers/hostile-scenarios.ts';

const slow = process.env.SCRYP_SLOW === '1';

/** Runs a scenario with SCRYP_SEED (or its default) and prints the seed, whether it passes or fails. */
async function seeded(what: string, fallback: number, scenario: (seed: number) => Promise<Record<string, number>>): Promise<void> {
  const seed = Number(process.env.SCRYP_SEED ?? fallback);
  const figures = await scenario(seed).catch((error) => {
    console.log(`${what} failed with seed ${seed}: SCRYP_SEED=${seed} repeats its choices`);
    throw error;
  });
  console.log(`${what}, seed ${seed}: ${JSON.stringify(figures)}`);
}

// Skipped (and said so) without SCRYP_SLOW=1: bun run test:slow runs them.
describe.skipIf(!slow)('hostile input, full runs', () => {
  test('1,000,000 hostile UDP datagrams of 13 kinds', () => seeded('udp flood', 1000, (seed) => udpFloodScenario(1_000_000, seed)), 900_000);

  test('100,000 hostile TCP connections of 10 kinds, plus silent and slow ones', () => seeded('tcp fuzz', 2000, (seed) => tcpFuzzScenario(100_000, seed)), 1_800_000);
});
