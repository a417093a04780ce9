// `bun run bench [--quick] [--out FILE] [--only ROW,ROW]`: the benchmark table. Every
// figure beside a reference measured in the same run; written to docs/BENCHMARKS.md.
// A --quick run is a smoke test, not figures to keep: it goes to the system's temporary
// directory (never into the work tree) unless --out says where; so does an --only run,
// whose table would otherwise replace every other row's figures.

import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catchUpBench } from './catch-up.ts';
import { commitLatencyBench } from './commit-latency.ts';
import { confirmationBench } from './confirmation.ts';
import { finalityBench, finalityReferencesBench } from './finality.ts';
import { framingBench } from './framing.ts';
import { eventsBench } from './events.ts';
import { gatewayBench } from './gateway.ts';
import { historyBench } from './history.ts';
import { ingestBench, ingestMetricsBench, ingestReferencesBench } from './ingest.ts';
import { markdown, type Row, table } from './report.ts';
import { scaleBench } from './scale.ts';
import { simulatorBench } from './simulator.ts';
import { changeCatchUpBench, changeCostBench } from './server-set.ts';
import { startBench } from './start.ts';
import { stateHashBench } from './state-hash.ts';
import { verifyBench } from './verify.ts';
import { pocketBench } from './pocket.ts';
import { walletPageBench } from './wallet-page.ts';
import { ensureBinary } from '../test/helpers/processes.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outIndex = argv.indexOf('--out');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1]!.split(',')) : null;
// An --only run writes a table of just its rows: never over docs/BENCHMARKS.md's whole table
// unless --out says so (copy its rows into the document by hand).
const out =
  outIndex >= 0
    ? argv[outIndex + 1]!
    : quick
      ? join(tmpdir(), 'scryp-BENCHMARKS.quick.md')
      : only !== null
        ? join(tmpdir(), 'scryp-BENCHMARKS.only.md')
        : join(import.meta.dir, '..', 'docs', 'BENCHMARKS.md');
const wanted = (row: string) => only === null || only.has(row);

const started = new Date();
const t0 = performance.now();
ensureBinary();
const rows: Row[] = [];
const say = (row: Row) => {
  rows.push(row);
  process.stderr.write(`${row.row}: ${row.measured} | ${row.reference} | ${row.ratio} | ${row.met === null ? '' : row.met ? 'met' : 'NOT met'}\n`);
};

// The verify row's native rate is the ingest rows' and the simulator row's reference: measured only when one of them runs.
const verify = wanted('verify') || wanted('ingest') || wanted('ingest metrics') || wanted('ingest references') || wanted('simulator') ? verifyBench(quick) : null;
if (verify !== null && wanted('verify')) say(verify.row);
if (verify !== null && wanted('ingest')) say(await ingestBench(quick, verify.measureNative));
if (verify !== null && wanted('ingest metrics')) say(await ingestMetricsBench(quick, verify.measureNative));
if (verify !== null && wanted('ingest references')) say(await ingestReferencesBench(quick, verify.measureNative));
if (verify !== null && wanted('simulator')) say(await simulatorBench(quick, verify.measureNative));
if (wanted('framing')) say(await framingBench(quick));
if (wanted('finality')) say(await finalityBench(quick));
if (wanted('finality references')) say(await finalityReferencesBench(quick));
if (wanted('commit latency')) say(await commitLatencyBench(quick));
if (wanted('state hash')) say(stateHashBench(quick));
if (wanted('commit cost') || wanted('history')) for (const row of historyBench(quick)) if (wanted(row.row)) say(row);
if (wanted('gateway')) say(await gatewayBench(quick));
if (wanted('events')) say(await eventsBench(quick));
if (wanted('catch-up') || wanted('memory')) for (const row of await catchUpBench(quick)) if (wanted(row.row)) say(row);
if (wanted('scale')) say(await scaleBench(quick));
if (wanted('start')) say(await startBench(quick));
if (wanted('confirmation')) for (const row of await confirmationBench(quick)) say(row);
if (wanted('wallet page')) say(await walletPageBench(quick));
if (wanted('pocket page') || wanted('pocket confirmation')) for (const row of await pocketBench(quick, { page: wanted('pocket page'), confirmation: wanted('pocket confirmation') })) say(row);
if (wanted('change cost')) say(await changeCostBench(quick));
if (wanted('catch-up across changes')) say(await changeCatchUpBench(quick));

const seconds = (performance.now() - t0) / 1000;
console.log(table(rows));
const command = `bun run bench${quick ? ' --quick' : ''}${only === null ? '' : ` --only ${[...only].join(',')}`}`;
// The hand-written account of the targets this machine cannot meet follows the figures.
const limits = readFileSync(join(import.meta.dir, 'limits.md'), 'utf8');
writeFileSync(out, `${markdown(rows, command, started, seconds, [])}\n${limits}`);
console.log(`\nwritten to ${out} (${seconds.toFixed(0)} s)`);
// Some rows leave sockets behind in this process (clients of servers since stopped): do not wait for them.
process.exit(0);
