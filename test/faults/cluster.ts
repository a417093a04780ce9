// Servers of one fault scenario: the suite's copy of the compiled executable, one process
// per server, on loopback or each in its own network namespace (netns.ts). The network
// file may list "ghost" servers that never run, whose keys the test holds, so that it can
// play a peer. Every process is registered for cleanup by pid the moment it is spawned,
// and dismissed from it the moment it exits (a pid is never signalled after it was reaped).

import { type Subprocess } from 'bun';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../src/bytes.ts';
import { Kind, Status, type InfoBody, type Reply } from '../../src/client/codec.ts';
import { type RequestSpec, UdpClient } from '../../src/client/udp-client.ts';
import type { Address } from '../../src/ip.ts';
import { parseNetwork, type Network } from '../../src/network.ts';
import { formatSeed } from '../../src/seed.ts';
import { signerFromSeed, type Signer } from '../../src/signature.ts';
import { testSeed } from '../helpers/keys.ts';
import { freePorts } from '../helpers/processes.ts';
import type { Topology } from './netns.ts';
import { currentRun, onCleanup, type CleanupHandle } from './run.ts';

export interface ClusterOptions {
  readonly name: string;
  /** Servers that run (indexes 0 … servers−1). */
  readonly servers: number;
  /** Servers after those in the network file that never run; the test holds their keys. */
  readonly ghosts?: number;
  /**
   * Servers after those in the network file that run but that the file does not name (for a
   * change to add, PROTOCOL §8.13): indexes servers … servers+spares−1, each with its own
   * directory and namespace, started with `--address` (where a change would put it).
   */
  readonly spares?: number;
  readonly periodMs: number;
  readonly blackoutMs?: number;
  readonly skewMs?: number;
  readonly wallets: readonly { label: string; balance: number }[];
  /** Where the scenario keeps its files. */
  readonly baseDir: string;
  /** Each server in its own namespace; loopback when absent. */
  readonly topology?: Topology;
  /** A server's directory, when it must live somewhere special (a mount); default baseDir/serverN. */
  readonly dirOf?: (index: number) => string;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: number;
}

export interface FaultServer {
  readonly index: number;
  readonly dir: string;
  process: Subprocess<'ignore', 'pipe', 'pipe'> | null;
  /** Everything the server wrote, over all its lives, each start marked. */
  log: string;
  readonly exits: Exit[];
  startedAt: number;
  /** The port it listens on now (4001 in a namespace, unless moved: see FaultCluster.move). */
  port: number;
  /** Passed as `--address HOST:PORT` at each start: spares, and servers that moved. */
  address: string | null;
}

/** The log level of the servers: info, or SCRYP_FAULTS_LOG. */
const log_level = process.env.SCRYP_FAULTS_LOG ?? 'info';

export class FaultCluster {
  readonly network: Network;
  readonly networkFile: string;
  readonly servers: FaultServer[];
  readonly wallets: Signer[];
  private readonly serverSigners: Signer[];
  private readonly clientAddresses: Address[];
  private readonly cleanups = new Map<number, CleanupHandle>();
  private client: UdpClient | null = null;

  private constructor(
    readonly options: ClusterOptions,
    network: Network,
    networkFile: string,
    servers: FaultServer[],
    wallets: Signer[],
    serverSigners: Signer[],
    clientAddresses: Address[],
  ) {
    this.network = network;
    this.networkFile = networkFile;
    this.servers = servers;
    this.wallets = wallets;
    this.serverSigners = serverSigners;
    this.clientAddresses = clientAddresses;
  }

  static async create(options: ClusterOptions): Promise<FaultCluster> {
    currentRun();
    const spares = options.spares ?? 0;
    if (spares > 0 && (options.ghosts ?? 0) > 0) throw new Error('a cluster has ghosts or spares, not both');
    const running = options.servers + spares;
    const total = running + (options.ghosts ?? 0);
    const topology = options.topology;
    if (topology !== undefined && topology.servers < running) throw new Error('the topology has fewer namespaces than servers');
    const ports = topology === undefined ? await freePorts(total) : Array.from({ length: total }, () => 4001);
    const signers = Array.from({ length: total }, (_, i) => signerFromSeed(testSeed(`server ${i}`)));
    const servers: FaultServer[] = [];
    for (let index = 0; index < running; index++) {
      const dir = options.dirOf?.(index) ?? join(options.baseDir, `server${index}`);
      mkdirSync(dir, { recursive: true });
      // Durable before anything runs: a disk fault must find the key file as any server's would be.
      const seedFile = join(dir, '.seed');
      writeFileSync(seedFile, formatSeed(testSeed(`server ${index}`)), { mode: 0o600 });
      const fd = openSync(seedFile, 'r');
      fsyncSync(fd);
      closeSync(fd);
      servers.push({ index, dir, process: null, log: '', exits: [], startedAt: 0, port: ports[index]!, address: null });
    }
    // A ghost needs an address no one else uses: its own loopback port, or a data address
    // past the namespaces (nothing answers there).
    const dataHost = (i: number) => (topology === undefined ? '127.0.0.1' : i < topology.servers ? topology.dataHost(i) : topology.dataHost(topology.servers + i));
    const wallets = options.wallets.map((spec) => signerFromSeed(testSeed(`wallet ${spec.label}`)));
    const json = {
      name: options.name,
      period_ms: options.periodMs,
      blackout_ms: options.blackoutMs ?? Math.max(20, Math.floor(options.periodMs / 10)),
      skew_ms: options.skewMs ?? Math.floor(options.periodMs / 2),
      servers: signers.slice(0, options.servers + (options.ghosts ?? 0)).map((signer, i) => ({ key: toHex(signer.publicKey), ip: `${dataHost(i)}:${ports[i]}` })),
      genesis: wallets.map((wallet, i) => ({ account: toHex(wallet.publicKey), balance: options.wallets[i]!.balance })),
    };
    const networkFile = join(options.baseDir, 'network.json');
    writeFileSync(networkFile, JSON.stringify(json, null, 2));
    const network = parseNetwork(json);
    const clientAddresses = network.servers.map((server, i) =>
      topology === undefined || i >= topology.servers ? server.address : { host: topology.clientHost(i), port: server.address.port },
    );
    for (const server of servers.slice(options.servers)) {
      server.address = `${dataHost(server.index)}:${server.port}`;
      clientAddresses.push({ host: topology === undefined ? '127.0.0.1' : topology.clientHost(server.index), port: server.port });
    }
    return new FaultCluster(options, network, networkFile, servers, wallets, signers, clientAddresses);
  }

  get periodMs(): number {
    return this.network.periodMs;
  }

  get majority(): number {
    return this.network.majority;
  }

  get indexes(): number[] {
    return this.servers.map((server) => server.index);
  }

  signerOf(index: number): Signer {
    return this.serverSigners[index]!;
  }

  clientAddress(index: number): Address {
    return this.clientAddresses[index]!;
  }

  /** Where server `index`'s peers reach it now (HOST:PORT): the network file's, the spare's, or where it moved. */
  dataAddress(index: number): string {
    const server = this.servers[index]!;
    if (server.address !== null) return server.address;
    const entry = this.network.servers[index]!.address;
    return `${entry.host}:${entry.port}`;
  }

  /**
   * Moves a stopped server to another port on its host (PROTOCOL §3.10): from its next start
   * on it listens there and says so with `--address`; the test asks it there too.
   */
  move(index: number, port: number): string {
    if (this.running(index)) throw new Error(`server ${index} must be stopped to move`);
    const server = this.servers[index]!;
    const host = this.dataAddress(index).split(':')[0]!;
    server.port = port;
    server.address = `${host}:${port}`;
    this.clientAddresses[index] = { host: this.clientAddresses[index]!.host, port };
    return server.address;
  }

  running(index: number): boolean {
    return this.servers[index]!.process !== null;
  }

  /** Starts server `index` with extra node options (such as --clock-offset-ms). */
  start(index: number, extraArgs: readonly string[] = []): FaultServer {
    const run = currentRun();
    const server = this.servers[index]!;
    if (server.process !== null) throw new Error(`server ${index} is already running`);
    if (!existsSync(join(server.dir, '.seed'))) throw new Error(`server ${index}: no .seed in ${server.dir}`);
    const node = [run.binary, 'node', '--network', this.networkFile, '--dir', server.dir, '--log-level', log_level, '--client-rate', '1000000', ...(server.address === null ? [] : ['--address', server.address])];
    const topology = this.options.topology;
    const command = topology === undefined ? [...node, ...extraArgs] : ['ip', 'netns', 'exec', topology.namespace(index), ...node, '--listen', '0.0.0.0', ...extraArgs];
    server.log += `\n===== start ${new Date().toISOString()} ${extraArgs.join(' ')}\n`;
    const child = Bun.spawn(command, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    const pid = child.pid;
    // `ip netns exec` execs the server in place: the pid is the server's.
    const cleanup = onCleanup(`server ${index} (pid ${pid})`, () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return; // gone already
      }
      for (let waited = 0; waited < 2_000 && !gone(pid); waited += 20) Bun.sleepSync(20);
    });
    this.cleanups.set(index, cleanup);
    server.process = child;
    server.startedAt = Date.now();
    void collect(child.stderr, (text) => (server.log += text));
    void collect(child.stdout, (text) => (server.log += text));
    void child.exited.then(() => {
      cleanup.dismiss();
      server.exits.push({ code: child.exitCode, signal: child.signalCode === null ? null : String(child.signalCode), at: Date.now() });
      server.log += `\n===== exited code ${child.exitCode} signal ${child.signalCode} ${new Date().toISOString()}\n`;
      if (server.process === child) server.process = null;
    });
    return server;
  }

  startAll(): void {
    for (const server of this.servers) this.start(server.index);
  }

  /** Sends a signal and waits for the exit (a SIGTERM that takes over 10 s becomes SIGKILL). */
  async stop(index: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<Exit | null> {
    const server = this.servers[index]!;
    const child = server.process;
    if (child === null) return null;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await child.exited;
    clearTimeout(timer);
    await Bun.sleep(0); // let the exit handler above record it
    return server.exits[server.exits.length - 1]!;
  }

  /** Waits for a server to exit by itself, at most `timeoutMs`. */
  async waitExit(index: number, timeoutMs: number): Promise<Exit | null> {
    const server = this.servers[index]!;
    const child = server.process;
    if (child === null) return server.exits[server.exits.length - 1] ?? null;
    const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(timeoutMs).then(() => false)]);
    if (!exited) return null;
    await Bun.sleep(0);
    return server.exits[server.exits.length - 1]!;
  }

  /** Stops every running server with SIGTERM, so that each logs its counters. */
  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((server) => this.stop(server.index, 'SIGTERM')));
  }

  /** The counters a server logged when it last stopped on SIGTERM. */
  counters(index: number): Record<string, number> | null {
    const matches = [...this.servers[index]!.log.matchAll(/\bcounters (\{.*\})\s*$/gm)];
    const last = matches[matches.length - 1];
    return last === undefined ? null : (JSON.parse(last[1]!) as Record<string, number>);
  }

  async udp(): Promise<UdpClient> {
    if (this.client === null) this.client = await UdpClient.open();
    return this.client;
  }

  /** One signed request to server `index` (its client address); null when it does not answer. */
  async ask(index: number, spec: RequestSpec, attempts = 3, timeoutMs = 60): Promise<Reply | null> {
    const client = await this.udp();
    // With spares, the servers a change brings in make replies longer than the file's count says.
    const serverCount = (this.options.spares ?? 0) > 0 ? {} : { serverCount: this.network.servers.length };
    try {
      return await client.ask(this.clientAddress(index), spec, {
        networkId: this.network.id,
        serverKey: this.serverSigners[index]!.publicKey,
        ...serverCount,
        attempts,
        timeoutMs,
      });
    } catch {
      return null;
    }
  }

  async info(index: number): Promise<InfoBody | null> {
    const reply = await this.ask(index, { kind: Kind.INFO });
    return reply !== null && reply.status === Status.OK && reply.body !== null && 'lastHeard' in reply.body ? reply.body : null;
  }

  /** Waits until server `index` answers INFO; returns when it did, or null. */
  async waitUp(index: number, timeoutMs = 10_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.info(index)) !== null) return Date.now();
      if (!this.running(index)) return null;
      await Bun.sleep(10);
    }
    return null;
  }

  periodNow(): number {
    return Math.floor(Date.now() / this.periodMs);
  }

  /** Closes the client; servers are stopped by stopAll or, at the latest, by cleanupAll. */
  close(): void {
    this.client?.close();
    this.client = null;
  }

  /** The last lines of every server's log, for a failing assertion's message. */
  logs(lastLines = 30): string {
    return this.servers.map((server) => `--- server ${server.index} ---\n${server.log.split('\n').slice(-lastLines).join('\n')}`).join('\n');
  }

  /** Every server's whole log into the scenario directory (kept only while the run lasts). */
  saveLogs(): void {
    for (const server of this.servers) writeFileSync(join(this.options.baseDir, `server${server.index}.log`), server.log);
  }
}

/** The process has exited: no such pid, or a zombie waiting for us to reap it (we cannot while we wait). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

async function collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
}
