// The benchmark table: every figure next to a reference measured in the same run, since
// these machines are shared and noisy; printed, and written to docs/BENCHMARKS.md.

import { readdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';

export interface Row {
  readonly row: string;
  readonly measured: string;
  readonly reference: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean | null;
  readonly notes?: string;
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free), Bun ${Bun.version}, ${process.platform}-${process.arch}`;
}

export function formatRate(value: number, unit: string): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M${unit}`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k${unit}`;
  return `${value.toFixed(0)} ${unit}`;
}

export function table(rows: readonly Row[]): string {
  const header = ['row', 'measured', 'reference (same run)', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [r.row, r.measured, r.reference, r.ratio, r.target, r.met === null ? '—' : r.met ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const fmt = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

export function markdown(rows: readonly Row[], command: string, started: Date, seconds: number, notes: string[]): string {
  const out = [
    '# Benchmarks',
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machine()}`,
    '',
    `Run: ${started.toISOString()}, ${seconds.toFixed(0)} s. Every figure is set beside a reference measured in the same run; the ratio is what to compare across runs.`,
    '',
    '| row | measured | reference (same run) | ratio | target | met |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.row} | ${r.measured} | ${r.reference} | ${r.ratio} | ${r.target} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`),
    '',
  ];
  const rowNotes = rows.filter((r) => r.notes !== undefined);
  if (rowNotes.length > 0 || notes.length > 0) {
    out.push('## Notes', '');
    for (const r of rowNotes) out.push(`- **${r.row}**: ${r.notes}`);
    for (const note of notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}

/** Runs `work` repeatedly for about `ms` and returns operations per second. */
export function rate(ms: number, work: () => void, batch = 1): number {
  for (let i = 0; i < Math.min(50, batch * 5); i++) work(); // warm up
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) work();
    count += batch;
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU time (user + system, all threads) a live process has used so far, in ms. */
export function cpuMsOf(pid: number): number {
  // /proc/PID/stat: the command may hold spaces, so count fields after its closing ')'.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU time of each thread of a live process, by thread name, in ms. */
export function threadCpuMsOf(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(name, (out.get(name) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}
