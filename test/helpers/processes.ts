// Real servers for integration tests: the compiled executable (built on demand), on free
// loopback ports, in temporary directories, with short periods. Every process is killed
// and every directory removed by `stop()`, even when a test fails.

import { forwardingUntil, periodOf, startOf, type Timing, timingOf } from '../../src/schedule.ts';
import { type Subprocess } from 'bun';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/bytes.ts';
import { Kind, Status, type InfoBody } from '../../src/client/codec.ts';
import { UdpClient } from '../../src/client/udp-client.ts';
import { formatSeed } from '../../src/seed.ts';
import { parseNetwork, type Network, type QuorumMode } from '../../src/network.ts';
import { signerFromSeed, type Signer } from '../../src/signature.ts';
import { testSeed } from './keys.ts';

export const root = join(import.meta.dir, '..', '..');
export const binary = join(root, 'dist', 'scryp');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/scryp when it is missing or older than the sources (the tests exercise the real executable). */
export function ensureBinary(): string {
  const sources = Math.max(newestSource(join(root, 'src')), statSync(join(root, 'seeds', 'devnet', 'network.json')).mtimeMs);
  if (existsSync(binary) && statSync(binary).mtimeMs >= sources) return binary;
  const build = Bun.spawnSync(['bun', 'run', 'build'], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
  if (build.exitCode !== 0) throw new Error(`bun run build failed:\n${build.stderr.toString()}`);
  return binary;
}

/** Ports free for both TCP and UDP on 127.0.0.1 (tried by binding both). */
/**
 * The first port the kernel hands out to sockets bound to port 0 (connect()'s and UDP
 * clients'). Servers' ports are taken below it: a port free now but in the ephemeral range
 * can be handed to some client socket before the server binds it (EADDRINUSE, seen in CI).
 */
function ephemeralPortsFrom(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 11_000) return low;
  } catch {
    // not Linux: assume the IANA range
  }
  return 49_152;
}

export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  const below = ephemeralPortsFrom();
  for (let tries = 0; ports.length < count && tries < 200; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (below - 10_000));
    if (ports.includes(port)) continue;
    try {
      const listener = Bun.listen({ hostname: '127.0.0.1', port, exclusive: true, socket: { data() {} } });
      const udp = await Bun.udpSocket({ hostname: '127.0.0.1', port });
      udp.close();
      listener.stop(true);
      ports.push(port);
    } catch {
      // taken: try another
    }
  }
  if (ports.length < count) throw new Error('no free ports');
  return ports;
}

export interface TestServer {
  readonly index: number;
  readonly dir: string;
  readonly port: number;
  process: Subprocess<'ignore', 'pipe', 'pipe'> | null;
  log: string;
}

export interface ClusterOptions {
  servers?: number;
  periodMs?: number;
  blackoutMs?: number;
  skewMs?: number;
  wallets?: { label: string; balance: number }[];
  name?: string;
  /** The network file's quorum (PROTOCOL §8.10); left out, the file has no quorum field (majority). */
  quorum?: QuorumMode;
  /** Servers with a directory, a seed and a port that the network file does not name (for changes to add: PROTOCOL §8.13). */
  spares?: number;
}

export class ProcessCluster {
  readonly base: string;
  readonly network: Network;
  readonly networkFile: string;
  readonly servers: TestServer[];
  readonly wallets: Signer[];
  private client: UdpClient | null = null;

  private constructor(base: string, network: Network, networkFile: string, servers: TestServer[], wallets: Signer[]) {
    this.base = base;
    this.network = network;
    this.networkFile = networkFile;
    this.servers = servers;
    this.wallets = wallets;
  }

  /** Writes a network file and one directory (with its .seed) per server. Starts nothing. */
  static async create(options: ClusterOptions = {}): Promise<ProcessCluster> {
    ensureBinary();
    const count = options.servers ?? 3;
    const periodMs = options.periodMs ?? 300;
    const base = mkdtempSync(join(tmpdir(), 'scryp-test-'));
    const ports = await freePorts(count + (options.spares ?? 0));
    const walletSpecs = options.wallets ?? [{ label: 'genesis', balance: 1_000_000 }];
    const wallets = walletSpecs.map((spec) => signerFromSeed(testSeed(`wallet ${spec.label}`)));
    const servers: TestServer[] = ports.map((port, index) => {
      const dir = join(base, `server${index}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.seed'), formatSeed(testSeed(`server ${index}`)), { mode: 0o600 });
      return { index, dir, port, process: null, log: '' };
    });
    const json = {
      name: options.name ?? 'testnet',
      period_ms: periodMs,
      blackout_ms: options.blackoutMs ?? Math.max(20, Math.floor(periodMs / 10)),
      skew_ms: options.skewMs ?? Math.floor(periodMs / 2),
      servers: servers.slice(0, count).map((server) => ({ key: toHex(signerFromSeed(testSeed(`server ${server.index}`)).publicKey), ip: `127.0.0.1:${server.port}` })),
      genesis: wallets.map((wallet, i) => ({ account: toHex(wallet.publicKey), balance: walletSpecs[i]!.balance })),
      ...(options.quorum === undefined ? {} : { quorum: options.quorum }),
    };
    const networkFile = join(base, 'network.json');
    writeFileSync(networkFile, JSON.stringify(json, null, 2));
    return new ProcessCluster(base, parseNetwork(json), networkFile, servers, wallets);
  }

  start(index: number, extraArgs: string[] = []): TestServer {
    const server = this.servers[index]!;
    if (server.process !== null) throw new Error(`server ${index} is already running`);
    // A spare (not in the network file) says where it listens: where the change that adds it puts it.
    const spare = index >= this.network.servers.length ? ['--address', `127.0.0.1:${server.port}`] : [];
    const child = Bun.spawn([binary, 'node', '--network', this.networkFile, '--dir', server.dir, '--log-level', 'debug', ...spare, ...extraArgs], {
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    });
    server.process = child;
    void collect(child.stderr, (text) => (server.log += text));
    void collect(child.stdout, (text) => (server.log += text));
    return server;
  }

  /** Starts every server the network file names (spares are started one by one). */
  startAll(): void {
    for (const server of this.servers.slice(0, this.network.servers.length)) this.start(server.index);
  }

  /** The committed period server `index` reports over UDP at its own port (spares too); null: no answer. */
  async committedOf(index: number): Promise<number | null> {
    const client = await this.udp();
    try {
      const reply = await client.ask({ host: '127.0.0.1', port: this.servers[index]!.port }, { kind: Kind.INFO }, { networkId: this.network.id, serverKey: this.keyOf(index), attempts: 2, timeoutMs: 100 });
      return reply.status === Status.OK && reply.body !== null && 'committedPeriod' in reply.body ? reply.body.committedPeriod : null;
    } catch {
      return null;
    }
  }

  /** A server's key, spares' too. */
  keyOf(index: number): Uint8Array {
    return signerFromSeed(testSeed(`server ${index}`)).publicKey;
  }

  /** Stops a server: SIGTERM (clean) or SIGKILL (kill -9). Waits for it to exit. */
  async stopServer(index: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number | null> {
    const server = this.servers[index]!;
    const child = server.process;
    if (child === null) return null;
    child.kill(signal);
    const code = await child.exited;
    server.process = null;
    return code;
  }

  async udp(): Promise<UdpClient> {
    if (this.client === null) this.client = await UdpClient.open();
    return this.client;
  }

  async info(index: number): Promise<InfoBody | null> {
    const client = await this.udp();
    const server = this.network.servers[index]!;
    try {
      const reply = await client.ask(server.address, { kind: Kind.INFO }, { networkId: this.network.id, serverKey: server.key, attempts: 3, timeoutMs: 100 });
      return reply.status === Status.OK && reply.body !== null && 'lastHeard' in reply.body ? reply.body : null;
    } catch {
      return null;
    }
  }

  /** Polls until `check` holds or the time runs out; returns whether it held. */
  async until(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await Bun.sleep(everyMs);
    }
    return await check();
  }

  periodNow(): number {
    return Math.floor(Date.now() / this.network.periodMs);
  }

  timing(): Timing {
    const network = this.network;
    return timingOf(network);
  }

  /** Waits until now is at least `marginMs` inside a period's accepting window; returns that period. */
  async awayFromBoundaries(marginMs = 60): Promise<number> {
    const timing = this.timing();
    for (;;) {
      const now = Date.now();
      const period = periodOf(timing, now);
      if (now - startOf(timing, period) >= marginMs && forwardingUntil(timing, period) - now >= marginMs) return period;
      await Bun.sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.client?.close();
    this.client = null;
    for (const server of this.servers) {
      if (server.process !== null) {
        server.process.kill('SIGKILL');
        await server.process.exited;
        server.process = null;
      }
    }
    rmSync(this.base, { recursive: true, force: true });
  }

  /** The logs of every server, for a failing test's message. */
  logs(lastLines = 40): string {
    return this.servers.map((server) => `--- server ${server.index} ---\n${server.log.split('\n').slice(-lastLines).join('\n')}`).join('\n');
  }
}

/** Resident memory of a process, in bytes (Linux). */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((text) => text.startsWith('VmRSS:'));
  return Number(/([0-9]+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

async function collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
}
