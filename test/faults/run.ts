// One run of the fault suite: its id, its directory, its own copy of the executable, and
// the list of things to undo. Everything the suite creates carries the run id in its name
// (directories /tmp/scryp-faults-<id>, namespaces scrf-<id>-…, links scrf<id>…), and the
// run directory holds the pid of the process that owns it, so that a later run can sweep
// what a crashed one left behind without touching a run that is still going.
//
// Cleanup is synchronous (spawnSync, kill by pid), so that it can also run from a signal
// handler (SIGINT, SIGTERM, SIGHUP) when the test runner is stopped halfway. bun test does
// not run 'exit' handlers at a normal end: each test file calls finishRun in afterAll.

import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinary } from '../helpers/processes.ts';

export const faults_enabled = process.env.SCRYP_FAULTS === '1';

/** Everything of the suite lives under directories with this prefix. */
export const run_dir_prefix = '/tmp/scryp-faults-';
/** Namespaces are named scrf-<id>-<n>, links scrf<id><kind><n> (Linux allows 15 characters). */
export const netns_prefix = 'scrf-';
export const link_prefix = 'scrf';

export interface Run {
  readonly id: string;
  readonly dir: string;
  /** The suite's own copy of dist/scryp: a rebuild by someone else mid-run changes nothing. */
  readonly binary: string;
  readonly binaryDigest: string;
}

type Cleanup = { readonly what: string; readonly undo: () => void };
const cleanups: Cleanup[] = [];
let current: Run | null = null;

/** Runs `command` synchronously; returns its exit code and output. */
export function sh(command: string[], options: { allowFail?: boolean } = {}): { code: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync(command, { stdout: 'pipe', stderr: 'pipe' });
  const out = { code: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  if (out.code !== 0 && options.allowFail !== true) throw new Error(`${command.join(' ')} exited ${out.code}: ${out.stderr.trim()}`);
  return out;
}

export interface CleanupHandle {
  /** Runs the undo step now (once) and unregisters it. */
  undo(): void;
  /** Unregisters it without running it (the thing is gone by itself, e.g. a process exited). */
  dismiss(): void;
}

/** Registers an undo step, to run at the end of the test (cleanupAll) or when the process exits. */
export function onCleanup(what: string, undo: () => void): CleanupHandle {
  const entry: Cleanup = { what, undo };
  cleanups.push(entry);
  const dismiss = () => {
    const at = cleanups.indexOf(entry);
    if (at >= 0) cleanups.splice(at, 1);
    return at >= 0;
  };
  return {
    undo: () => {
      if (dismiss()) entry.undo();
    },
    dismiss: () => void dismiss(),
  };
}

/** Undoes everything registered, newest first. Failures are reported, never thrown. */
export function cleanupAll(): string[] {
  const problems: string[] = [];
  while (cleanups.length > 0) {
    const entry = cleanups.pop()!;
    try {
      entry.undo();
    } catch (error) {
      problems.push(`${entry.what}: ${(error as Error).message}`);
    }
  }
  return problems;
}

let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    cleanupAll();
    if (current !== null) rmSync(current.dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupAll();
      if (current !== null) rmSync(current.dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Run ids whose owner process is gone (or whose directory lost its owner file). */
function deadRunIds(): Set<string> {
  const dead = new Set<string>();
  for (const name of readdirSync('/tmp')) {
    if (!`/tmp/${name}`.startsWith(run_dir_prefix)) continue;
    const id = name.slice(run_dir_prefix.length - '/tmp/'.length);
    const ownerFile = join('/tmp', name, 'owner');
    const pid = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8').trim()) : NaN;
    if (!Number.isInteger(pid) || !alive(pid)) dead.add(id);
  }
  return dead;
}

/** The run id in a suite name (namespace, link, path), or null if the name is not ours. */
function runIdOf(name: string): string | null {
  if (name.startsWith(run_dir_prefix)) return name.slice(run_dir_prefix.length).split('/')[0] ?? null;
  if (name.startsWith(netns_prefix)) return name.slice(netns_prefix.length).split('-')[0] ?? null;
  if (name.startsWith(link_prefix)) return name.slice(link_prefix.length, link_prefix.length + 5);
  return null;
}

/**
 * Removes what earlier runs left behind: server processes started from a suite binary,
 * mounts and loop devices under a suite directory, namespaces and links with the suite
 * prefix, and the directories themselves. Only runs whose owner process is dead are
 * touched. Returns what it removed.
 */
export function sweepLeftovers(): string[] {
  const dead = deadRunIds();
  const isDead = (name: string) => {
    const id = runIdOf(name);
    // A namespace or link whose run directory is gone entirely is a leftover too.
    return id !== null && (dead.has(id) || !existsSync(`${run_dir_prefix}${id}`));
  };
  const removed: string[] = [];
  // 1. Processes: our binary copies live in the run directories; match on the executable path.
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      continue;
    }
    if (exe.startsWith(run_dir_prefix) && isDead(exe)) {
      try {
        process.kill(pid, 'SIGKILL');
        removed.push(`process ${pid} (${exe})`);
      } catch {
        // already gone
      }
    }
  }
  // 2. Loop devices backed by a file of a dead run: found before anything is unmounted (a
  //    lazily unmounted tmpfs hides the image's path), detached after (a mounted loop device
  //    is only marked to detach when it is unmounted).
  const loops: string[] = [];
  const loopList = sh(['losetup', '--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { allowFail: true }).stdout;
  for (const line of loopList.split('\n')) {
    const [device, file] = line.trim().split(/\s+/);
    if (device !== undefined && file !== undefined && file.startsWith(run_dir_prefix) && isDead(file)) loops.push(device);
  }
  // 3. Mounts, newest first (mountinfo lists them in mount order), then the loop devices.
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(run_dir_prefix) && isDead(point))
    .reverse();
  for (const point of mounts) {
    sh(['umount', '-l', point], { allowFail: true });
    removed.push(`mount ${point}`);
  }
  for (const device of loops) {
    sh(['losetup', '-d', device], { allowFail: true });
    removed.push(`loop ${device}`);
  }
  // 4. Namespaces (the veth ends inside go with them), then links in the root namespace.
  for (const line of sh(['ip', 'netns', 'list'], { allowFail: true }).stdout.split('\n')) {
    const name = line.trim().split(' ')[0] ?? '';
    if (name.startsWith(netns_prefix) && isDead(name)) {
      sh(['ip', 'netns', 'del', name], { allowFail: true });
      removed.push(`netns ${name}`);
    }
  }
  for (const line of sh(['ip', '-o', 'link', 'show'], { allowFail: true }).stdout.split('\n')) {
    const name = (line.split(':')[1] ?? '').trim().split('@')[0] ?? '';
    if (name.startsWith(link_prefix) && isDead(name)) {
      sh(['ip', 'link', 'del', name], { allowFail: true });
      removed.push(`link ${name}`);
    }
  }
  // 5. The directories.
  for (const id of dead) {
    rmSync(`${run_dir_prefix}${id}`, { recursive: true, force: true });
    removed.push(`directory ${run_dir_prefix}${id}`);
  }
  return removed;
}

function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return [...bytes].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/**
 * The run of this process: created on first use (sweep, directory, binary copy), shared
 * by every fault test file that bun test loads into the process.
 */
export function currentRun(): Run {
  if (current !== null) return current;
  if (process.getuid?.() !== 0) throw new Error('the fault suite needs root (network namespaces, mounts)');
  hookExit();
  const swept = sweepLeftovers();
  if (swept.length > 0) console.log(`fault suite: swept leftovers of earlier runs: ${swept.join(', ')}`);
  const id = newRunId();
  const dir = `${run_dir_prefix}${id}`;
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'owner'), `${process.pid}\n`);
  // The run directory (and the binary in it) goes when the process exits (hookExit); each
  // scenario's own resources are undone by cleanupAll after each test.
  const built = ensureBinary();
  const binary = join(dir, 'bin', 'scryp');
  copyFileSync(built, binary);
  chmodSync(binary, 0o755);
  const probe = Bun.spawnSync([binary, '--help'], { stdout: 'pipe', stderr: 'pipe' });
  if (probe.exitCode !== 0) throw new Error(`the copy of ${built} does not run: ${probe.stderr.toString()}`);
  const binaryDigest = createHash('sha256').update(readFileSync(binary)).digest('hex').slice(0, 16);
  current = { id, dir, binary, binaryDigest };
  console.log(`fault suite: run ${id} in ${dir}, binary sha256 ${binaryDigest}…`);
  return current;
}

/**
 * Ends the run: undoes what is left and removes the run directory. Each test file calls it
 * in afterAll (bun test does not always run 'exit' handlers); the next file starts a new run.
 */
export function finishRun(): string[] {
  const problems = cleanupAll();
  if (current !== null) rmSync(current.dir, { recursive: true, force: true });
  current = null;
  return problems;
}

/** A fresh directory for one scenario inside the run directory. */
export function scenarioDir(name: string): string {
  const run = currentRun();
  const dir = join(run.dir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Prints one result line the docs table is made from. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  console.log(`fault-suite result ${scenario} ${JSON.stringify(figures)}`);
}
