// Recorded runs of the simulator: for each fixed seed of test/sim.test.ts, the digest of
// every event, the event count and a hash of the run's statistics, byte for byte. A pure
// refactor of the core (splitting src/node/core.ts by concern, issue 13) must keep every
// line identical; a change of behaviour changes some, and its commit re-records them and
// says why. To re-record: bun test/sim-recorded.test.ts --print (after reviewing the change).

import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { createHash } from 'node:crypto';
import type { FaultMode } from '../src/sim/faults.ts';
import { simulate } from '../src/sim/simulator.ts';

type Recorded = [seed: number, servers: number, periods: number, faults: FaultMode, realCrypto: boolean, digest: string, events: number, stats: string, changes?: true];

// Recorded after issue 9 (real Ed25519 keys in the stand-in, the bad_payee client kind), then
// re-recorded when PROPOSALs became signed (issue 14): the same events and statistics for
// every seed, only the bytes of the messages (which the digest covers) changed; and again
// when every server began to pass on the header of each PROPOSAL it takes: more messages,
// so the simulated network's random fates fall differently and the runs differ (every
// invariant holds in each); and again when catch-up stopped asking the peer that had just
// left a request unanswered, then any peer silent since its last answer (runs with
// timeouts differ from then on); and again for server-set changes (issue 13): a majority
// network's alpha takes payments only once it has committed the period change_lead_periods
// before (after genesis), and a
// period split between two proposals, or built on a parent older than a period committed
// since, counts as dead; the last three run with changes.
export const recorded: Recorded[] = [
  [11, 1, 60, 'heavy', false, 'd1e104100c30de32', 645, '6fe8e24d12fc5c61'],
  [12, 2, 40, 'light', false, '9af85db227394db0', 1325, 'e15c87224d5653f7'],
  [13, 2, 40, 'heavy', false, '80a75b471fe6baeb', 1329, 'a81810872580b341'],
  [14, 3, 40, 'none', false, '891ab12ce2dbf99f', 2450, 'f17caeae6e273cb7'],
  [15, 3, 60, 'heavy', false, 'e3459f0be8e410d2', 2631, 'bf6308fb95cfe559'],
  [16, 4, 50, 'heavy', false, 'dcaab61e2efeb101', 2919, '84e60f475bdc2a69'],
  [17, 5, 40, 'light', false, '2f4bbeb8cf857565', 5622, '2b19530a66020ff7'],
  [18, 5, 50, 'heavy', false, 'f30d10c784c528fc', 6654, '5a3bee9a5d14ddf8'],
  [19, 7, 30, 'heavy', false, 'e46b841ccb49cb1f', 6936, '963d09763fbfd815'],
  [1, 2, 30, 'light', false, '7a7cfee1eb01a9be', 987, '776f165e50b5043b'],
  [205, 5, 5, 'light', false, '865847ab7a13ffbe', 1668, 'bb90114c7a90a694'],
  [1005, 3, 13, 'heavy', false, '070d31ea7fa23be9', 829, 'cc71bd26b08e6ac5'],
  [303, 4, 80, 'heavy', false, '1330d6872b04a853', 5092, 'c238ff9e04ae33fa'],
  [115, 5, 125, 'heavy', false, '6d356f60241b5cd2', 12869, '62ca91426e1a4c01'],
  [303, 4, 145, 'heavy', false, '8c45066ffa0d9808', 9259, 'ec4723fe16a1e8fb'],
  [4242, 4, 40, 'heavy', false, 'bcc50e2d3ad2cb3f', 2586, '4a0ab13711b0dea8'],
  [304, 4, 120, 'heavy', false, 'eb8a6aa47b6a5f56', 8211, 'fd7bc113af66f87b'],
  [415, 3, 200, 'heavy', false, 'fee6338f72793bd7', 9142, '81b3c6e7026915e2'],
  [400, 1, 30, 'heavy', false, '4d504e0265988f0f', 346, '0902541caf206acc'],
  [21, 3, 15, 'light', true, '3b7c8ed041da9c83', 1122, '69713592e5989384'],
  [2008, 4, 100, 'heavy', false, 'e210cffcdfbb26c6', 12169, '42551e16c948a28c', true],
  [5, 4, 100, 'light', false, 'bc4298e2206c9274', 13275, '4f47e65bf4a01d4a', true],
  [7, 5, 80, 'heavy', false, 'ae6c5086094300ce', 13179, '18938379440d1ac5', true],
];

// Each run is CPU-bound and takes a second or two on an idle machine; the bound is for a shared one.
setDefaultTimeout(60_000);

function runOf([seed, servers, periods, faults, realCrypto, , , , changes]: Recorded) {
  const report = simulate({ seed, servers, periods, faults, realCrypto, ...(changes === true ? { changes } : {}) });
  return { digest: report.digest, events: report.events, stats: createHash('sha256').update(JSON.stringify(report.stats)).digest('hex').slice(0, 16), ok: report.ok };
}

if (import.meta.main && process.argv.includes('--print')) {
  for (const entry of recorded) {
    const run = runOf(entry);
    console.log(`  [${entry.slice(0, 4).map((v) => (typeof v === 'string' ? `'${v}'` : v)).join(', ')}, ${entry[4]}, '${run.digest}', ${run.events}, '${run.stats}'${entry[8] === true ? ', true' : ''}],`);
  }
} else {
  describe('recorded simulator runs: digest, event count and statistics, byte for byte', () => {
    for (const entry of recorded) {
      const [seed, servers, periods, faults, realCrypto, digest, events, stats, changes] = entry;
      test(`seed ${seed}, ${servers} servers, ${periods} periods, ${faults}${realCrypto ? ', real Ed25519' : ''}${changes === true ? ', server-set changes' : ''}`, () => {
        const run = runOf(entry);
        expect(run.ok).toBe(true);
        expect({ digest: run.digest, events: run.events, stats: run.stats }).toEqual({ digest, events, stats });
      });
    }
  });
}
