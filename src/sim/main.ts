// The simulator's command line:
//
//   bun run sim --seed S --servers N --periods K [--faults none|light|heavy] [--real-crypto]
//               [--quorum majority|two-thirds] [--byzantine L [--twins]] [--changes]
//               [--references SHARE] [--trace] [--shrink] [--runs R] [--disable kind,kind] [--json]
//
// Exit code 0 when every run holds every invariant, 1 when one breaks (the seed, the
// period, the invariant, the servers and the last events are printed), 2 on bad arguments.

import { defineCommand, runMain } from 'citty';
import { type QuorumMode, quorumModes } from '../network.ts';
import { type FaultKind, fault_kinds, fault_modes, isFaultKind, isFaultMode } from './faults.ts';
import { parseSeed } from './random.ts';
import { commandFor, failureLines, summaryLine } from './report.ts';
import { shrink } from './shrink.ts';
import { type SimOptions, simulate } from './simulator.ts';

function positiveInteger(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) throw new Error(`${flag}: expected an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}

function referenceShare(text: string): number {
  const value = Number(text);
  if (!/^(0|1|0?\.[0-9]+|1\.0*)$/.test(text) || !(value >= 0 && value <= 1)) throw new Error(`--references: expected a share in 0..1, got ${JSON.stringify(text)}`);
  return value;
}

function randomSeed(): number {
  // Only the choice of a seed when none is given comes from outside; the run never does.
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! & 0x1f_ffff) * 0x1_0000_0000 + words[1]!;
}

const simCommand = defineCommand({
  meta: { name: 'sim', description: 'Deterministic simulation of N scryp servers (the real ServerCore) under faults, checking the invariants' },
  args: {
    seed: { type: 'string', description: 'the seed (decimal or 0x-hex); random and printed when omitted' },
    servers: { type: 'string', description: 'servers in the network (1..64)', default: '5' },
    periods: { type: 'string', description: 'periods of faults; a calm tail of 10 periods follows', default: '200' },
    faults: { type: 'string', description: `fault mode: ${fault_modes.join(', ')}`, default: 'light' },
    quorum: { type: 'string', description: `the network's quorum: ${quorumModes.join(', ')}`, default: 'majority' },
    byzantine: { type: 'string', description: 'servers that lie (chosen from the seed; fewer than --servers)', default: '0' },
    twins: { type: 'boolean', description: 'liars send the same payments in another order (docs/RELIABILITY.md: batch not certified)', default: false },
    changes: { type: 'boolean', description: 'server-set changes at random during the faults, with 2 spare servers to bring in (with liars too)', default: false },
    references: { type: 'string', description: 'the share of payments signed with a reference (the 148-byte form), 0..1', default: '0' },
    disable: { type: 'string', description: `kinds of fault to turn off, comma-separated: ${fault_kinds.join(', ')}` },
    runs: { type: 'string', description: 'run this many seeds: S, S+1, ...', default: '1' },
    'real-crypto': { type: 'boolean', description: 'real Ed25519 instead of the fast stand-in', default: false },
    trace: { type: 'boolean', description: 'print every event as it happens', default: false },
    shrink: { type: 'boolean', description: 'on failure, look for a smaller failing configuration', default: false },
    json: { type: 'boolean', description: 'one JSON report per run on stdout', default: false },
  },
  run: ({ args }) => {
    let base: SimOptions;
    let runs: number;
    try {
      if (!isFaultMode(args.faults)) throw new Error(`--faults: expected one of ${fault_modes.join(', ')}, got ${JSON.stringify(args.faults)}`);
      if (!(quorumModes as readonly string[]).includes(args.quorum)) throw new Error(`--quorum: expected one of ${quorumModes.join(', ')}, got ${JSON.stringify(args.quorum)}`);
      const disabled = new Set<FaultKind>();
      for (const kind of (args.disable ?? '').split(',').filter((part) => part !== '')) {
        if (!isFaultKind(kind)) throw new Error(`--disable: unknown kind ${JSON.stringify(kind)} (expected ${fault_kinds.join(', ')})`);
        disabled.add(kind);
      }
      base = {
        seed: args.seed === undefined ? randomSeed() : parseSeed(args.seed),
        servers: positiveInteger(args.servers, '--servers', 1),
        periods: positiveInteger(args.periods, '--periods', 0),
        faults: args.faults,
        disabled,
        realCrypto: args['real-crypto'],
        quorum: args.quorum as QuorumMode,
        byzantine: positiveInteger(args.byzantine, '--byzantine', 0),
        twins: args.twins,
        ...(args.changes ? { changes: true } : {}),
        ...(referenceShare(args.references) > 0 ? { references: referenceShare(args.references) } : {}),
      };
      if (base.servers > 64) throw new Error('--servers: at most 64');
      if (base.byzantine! >= base.servers) throw new Error(`--byzantine: expected fewer liars than servers (${base.servers}), got ${base.byzantine}`);
      if (base.twins === true && base.byzantine === 0) throw new Error('--twins: only with --byzantine 1 or more');
      runs = positiveInteger(args.runs, '--runs', 1);
    } catch (error) {
      process.stderr.write(`sim: ${(error as Error).message}\n`);
      process.exit(2);
    }
    let failed = false;
    let stop = false;
    let done = 0;
    let known = 0;
    let periods = 0;
    let wallMs = 0;
    for (let i = 0; i < runs && !stop; i++) {
      const options: SimOptions = { ...base, seed: base.seed + i, ...(args.trace ? { live: (line: string) => process.stdout.write(`${line}\n`) } : {}) };
      const report = simulate(options);
      done++;
      periods += report.stats.periods;
      wallMs += report.wallMs;
      if (args.json) process.stdout.write(`${JSON.stringify({ ...report, options: { ...report.options, disabled: [...(report.options.disabled ?? [])], live: undefined } })}\n`);
      else process.stdout.write(`${summaryLine(report)}\n`);
      if (report.ok) continue;
      failed = true;
      // A known issue (root cause outside core.ts, docs/RELIABILITY.md) fails the run but not
      // the search: the next seeds still run. Anything else stops here.
      if (report.violation!.knownIssue !== null) known++;
      else stop = true;
      if (!args.json) for (const line of failureLines(report)) process.stdout.write(`${line}\n`);
      if (args.shrink) {
        process.stdout.write('shrinking...\n');
        const result = shrink(report, (line) => process.stdout.write(`${line}\n`));
        process.stdout.write(`smallest failing configuration found in ${result.runs} runs: ${commandFor(result.options)}\n`);
        for (const line of failureLines(result.report)) process.stdout.write(`${line}\n`);
      }
    }
    if (runs > 1 && !args.json) {
      const knownText = known > 0 ? `, ${known} failed with a known issue` : '';
      process.stdout.write(`${done} runs${knownText}, ${periods} periods in ${(wallMs / 1000).toFixed(1)} s: ${Math.round((periods / wallMs) * 60_000)} periods/minute\n`);
    }
    process.exit(failed ? 1 : 0);
  },
});

void runMain(simCommand);
