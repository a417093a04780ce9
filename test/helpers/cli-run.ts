// Runs the compiled executable (or another program) to its end, as a person at a shell
// would, with what it printed and how it exited. Killed after a timeout; every child
// it starts is killed by `killAll()` (call it in afterEach).

import { type Subprocess } from 'bun';
import { tmpdir } from 'node:os';
import { binary } from './processes.ts';

export interface Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

const children = new Set<Subprocess>();

export async function runProgram(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; program?: readonly string[]; stdin?: string } = {},
): Promise<Run> {
  const started = Date.now();
  const child = Bun.spawn([...(options.program ?? [binary]), ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: options.env ?? process.env,
    stdin: options.stdin === undefined ? 'ignore' : new TextEncoder().encode(options.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  children.add(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const exitCode = await child.exited;
  clearTimeout(timer);
  children.delete(child);
  return { exitCode, stdout, stderr, ms: Date.now() - started, timedOut };
}

export async function killAll(): Promise<void> {
  for (const child of children) {
    child.kill('SIGKILL');
    await child.exited;
  }
  children.clear();
}

/** A run's whole story, for a failing expectation's message. */
export function show(r: Run): string {
  return `exit ${r.exitCode} after ${r.ms} ms${r.timedOut ? ' (killed: timed out)' : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}
