// `bun run bench [--quick] [--out FILE] [--only ROW,ROW]`: the benchmark table. Every
// figure beside a reference measured in the same run; written to docs/BENCHMARKS.md.
// A --quick run is a smoke test, not figures to keep: it goes to the system's temporary
// directory (never into the work tree) unless --out says where.

import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catchUpBench } from './catch-up.ts';
import { commitLatencyBench } from './commit-latency.ts';
import { confirmationBench } from './confirmation.ts';
import { finalityBench } from './finality.ts';
import { framingBench } from './framing.ts';
import { historyBench } from './history.ts';
import { ingestBench, ingestMetricsBench } from './ingest.ts';
import { markdown, type Row, table } from './report.ts';
import { scaleBench } from './scale.ts';
import { startBench } from './start.ts';
import { stateHashBench } from './state-hash.ts';
import { verifyBench } from './verify.ts';
import { walletPageBench } from './wallet-page.ts';
import { ensureBinary } from '../test/helpers/processes.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outIndex = argv.indexOf('--out');
const out = outIndex >= 0 ? argv[outIndex + 1]! : quick ? join(tmpdir(), 'scryp-BENCHMARKS.quick.md') : join(import.meta.dir, '..', 'docs', 'BENCHMARKS.md');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1]!.split(',')) : null;
const wanted = (row: string) => only === null || only.has(row);

const started = new Date();
const t0 = performance.now();
ensureBinary();
const rows: Row[] = [];
const say = (row: Row) => {
  rows.push(row);
  process.stderr.write(`${row.row}: ${row.measured} | ${row.reference} | ${row.ratio} | ${row.met === null ? '' : row.met ? 'met' : 'NOT met'}\n`);
};

const verify = verifyBench(quick);
if (wanted('verify')) say(verify.row);
if (wanted('ingest')) say(await ingestBench(quick, verify.measureNative));
if (wanted('ingest metrics')) say(await ingestMetricsBench(quick, verify.measureNative));
if (wanted('framing')) say(await framingBench(quick));
if (wanted('finality')) say(await finalityBench(quick));
if (wanted('commit latency')) say(await commitLatencyBench(quick));
if (wanted('state hash')) say(stateHashBench(quick));
if (wanted('history')) say(historyBench(quick));
if (wanted('catch-up') || wanted('memory')) for (const row of await catchUpBench(quick)) if (wanted(row.row)) say(row);
if (wanted('scale')) say(await scaleBench(quick));
if (wanted('start')) say(await startBench(quick));
if (wanted('confirmation')) for (const row of await confirmationBench(quick)) say(row);
if (wanted('wallet page')) say(await walletPageBench(quick));

const seconds = (performance.now() - t0) / 1000;
console.log(table(rows));
const command = `bun run bench${quick ? ' --quick' : ''}${only === null ? '' : ` --only ${[...only].join(',')}`}`;
// The hand-written account of the targets this machine cannot meet follows the figures.
const limits = readFileSync(join(import.meta.dir, 'limits.md'), 'utf8');
writeFileSync(out, `${markdown(rows, command, started, seconds, [])}\n${limits}`);
console.log(`\nwritten to ${out} (${seconds.toFixed(0)} s)`);
// Some rows leave sockets behind in this process (clients of servers since stopped): do not wait for them.
process.exit(0);
