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

// Recorded after issue 9 (real Ed25519 keys in the stand-in, the bad_payee client kind).
export const recorded: Recorded[] = [
    [11, 1, 60, 'heavy', false, 'ac71d64effc1377b', 652, '65f6a930046de1fd'],
    [12, 2, 40, 'light', false, '944df6ab9f5a8528', 1321, '4a56ad48e1289933'],
    [13, 2, 40, 'heavy', false, 'a72d74476b8cf483', 1219, '2b0ce629573494b0'],
    [14, 3, 40, 'none', false, 'd53d819510de809e', 2450, 'bc045798b8e6c610'],
    [15, 3, 60, 'heavy', false, 'c9b3361b87473790', 2520, '96139bd36d711919'],
    [16, 4, 50, 'heavy', false, 'cd4a8658e99e1a71', 2859, 'cb5cba7aa42612fa'],
    [17, 5, 40, 'light', false, 'f2cd429da2813051', 5652, 'b13c883cf1ab3322'],
    [18, 5, 50, 'heavy', false, 'e42107276428dab4', 6501, 'fe428d3027a8dbb5'],
    [19, 7, 30, 'heavy', false, '9a2296ef5fbb3a80', 6334, '4faabd89b1067113'],
    [1, 2, 30, 'light', false, 'b82fa5933fafd3b7', 986, 'f8fbe2342e0e41f3'],
    [205, 5, 5, 'light', false, '99a388e2f05b6eed', 1668, '87912fc1bf517b07'],
    [1005, 3, 13, 'heavy', false, '55f8332b15a15bd6', 900, '903468c7169002bc'],
    [303, 4, 80, 'heavy', false, 'bae1310aa57b7a31', 4853, '0f213c2bd2a396dc'],
    [115, 5, 125, 'heavy', false, '76d57dfdd021accf', 12044, '2ca67aabc457c815'],
    [303, 4, 145, 'heavy', false, '0d6cfd964ccb99d4', 8827, 'b55dbc0bbc3b3c5d'],
    [4242, 4, 40, 'heavy', false, '8c1928b8f8d0deca', 2427, '7711ba926f18a9c3'],
    [304, 4, 120, 'heavy', false, 'cae8ce5b4d42c0ce', 7930, '94223ccc7042129c'],
    [415, 3, 200, 'heavy', false, 'ffa297e71f0d35cd', 8868, 'e8151c528679362a'],
    [400, 1, 30, 'heavy', false, '1259f39bc91c0150', 323, '1d773cdb57540587'],
    [21, 3, 15, 'light', true, '33b20ed30cb4b73d', 1122, 'f0e881579190217f'],
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
