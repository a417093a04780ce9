// Recorded runs of the simulator: for each fixed seed of test/sim.test.ts, the digest of
// every event, the event count and a hash of the run's statistics, byte for byte. A pure
// refactor of the core (splitting src/node/core.ts by concern, issue 13) must keep every
// line identical; a change of behaviour changes some, and its commit re-records them and
// says why. To re-record: bun test/sim-recorded.test.ts --print (after reviewing the change).

import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import type { FaultMode } from '../src/sim/faults.ts';
import { simulate } from '../src/sim/simulator.ts';

type Recorded = [seed: number, servers: number, periods: number, faults: FaultMode, realCrypto: boolean, digest: string, events: number, stats: string];

// Recorded after issue 9 (real Ed25519 keys in the stand-in, the bad_payee client kind), then
// re-recorded when PROPOSALs became signed (issue 14): the same events and statistics for
// every seed, only the bytes of the messages (which the digest covers) changed.
export const recorded: Recorded[] = [
    [11, 1, 60, 'heavy', false, 'ac71d64effc1377b', 652, '65f6a930046de1fd'],
    [12, 2, 40, 'light', false, '9ec616f815aca8ef', 1321, '4a56ad48e1289933'],
    [13, 2, 40, 'heavy', false, '347cc9fc6d1353ff', 1219, '2b0ce629573494b0'],
    [14, 3, 40, 'none', false, 'e5fcfe704c6b3908', 2450, 'bc045798b8e6c610'],
    [15, 3, 60, 'heavy', false, '59766467eb9cc8ec', 2520, '96139bd36d711919'],
    [16, 4, 50, 'heavy', false, '3bfba1ef0c0bda9c', 2859, 'cb5cba7aa42612fa'],
    [17, 5, 40, 'light', false, '2c0f0081e27c9664', 5652, 'b13c883cf1ab3322'],
    [18, 5, 50, 'heavy', false, '5326fea39a3945b7', 6501, 'fe428d3027a8dbb5'],
    [19, 7, 30, 'heavy', false, '950495e7b0ec6224', 6334, '4faabd89b1067113'],
    [1, 2, 30, 'light', false, '2b98d12c5ca3454c', 986, 'f8fbe2342e0e41f3'],
    [205, 5, 5, 'light', false, 'e3d94eb875702cc9', 1668, '87912fc1bf517b07'],
    [1005, 3, 13, 'heavy', false, '824e2541dd656852', 900, '903468c7169002bc'],
    [303, 4, 80, 'heavy', false, '3405113dcac9a5fd', 4853, '0f213c2bd2a396dc'],
    [115, 5, 125, 'heavy', false, 'd2a28a14f2029859', 12044, '2ca67aabc457c815'],
    [303, 4, 145, 'heavy', false, '9b408b8fab9a4270', 8827, 'b55dbc0bbc3b3c5d'],
    [4242, 4, 40, 'heavy', false, '68ce454be28e3510', 2427, '7711ba926f18a9c3'],
    [304, 4, 120, 'heavy', false, 'c5a0326faa87ae72', 7930, '94223ccc7042129c'],
    [415, 3, 200, 'heavy', false, 'cc72b276d0ab0c5d', 8868, 'e8151c528679362a'],
    [400, 1, 30, 'heavy', false, '1259f39bc91c0150', 323, '1d773cdb57540587'],
    [21, 3, 15, 'light', true, 'be714d58062442b7', 1122, 'f0e881579190217f'],
];

function runOf([seed, servers, periods, faults, realCrypto]: Recorded) {
  const report = simulate({ seed, servers, periods, faults, realCrypto });
  return { digest: report.digest, events: report.events, stats: createHash('sha256').update(JSON.stringify(report.stats)).digest('hex').slice(0, 16), ok: report.ok };
}

if (import.meta.main && process.argv.includes('--print')) {
  for (const entry of recorded) {
    const run = runOf(entry);
    console.log(`  [${entry.slice(0, 4).map((v) => (typeof v === 'string' ? `'${v}'` : v)).join(', ')}, ${entry[4]}, '${run.digest}', ${run.events}, '${run.stats}'],`);
  }
} else {
  describe('recorded simulator runs: digest, event count and statistics, byte for byte', () => {
    for (const entry of recorded) {
      const [seed, servers, periods, faults, realCrypto, digest, events, stats] = entry;
      test(`seed ${seed}, ${servers} servers, ${periods} periods, ${faults}${realCrypto ? ', real Ed25519' : ''}`, () => {
        const run = runOf(entry);
        expect(run.ok).toBe(true);
        expect({ digest: run.digest, events: run.events, stats: run.stats }).toEqual({ digest, events, stats });
      });
    }
  });
}
