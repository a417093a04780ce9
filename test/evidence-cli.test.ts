// scryp evidence and scryp info, run as a person runs them, against three honest servers of
// the compiled executable: none holds a proof (exit 0, said in words, and in one JSON line);
// a --server that is not one of the network's is a usage error (exit 2, naming the servers);
// no server answering is exit 4 with one line per server and nothing on stdout; and info
// says "evidence: none held" and "taking part". The Byzantine integration test covers exit 3.

import { afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { toHex } from '../src/bytes.ts';
import { killAll, runProgram, show } from './helpers/cli-run.ts';
import { freePorts, ProcessCluster } from './helpers/processes.ts';

setDefaultTimeout(60_000);

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await killAll();
  await cluster?.stop();
  cluster = null;
});

describe('scryp evidence and scryp info on an honest network', () => {
  test('no proof anywhere: exit 0 and says so; --json one line; a --server not of the network: exit 2; info: none held, taking part', async () => {
    const c = await ProcessCluster.create({ servers: 3, periodMs: 300 });
    cluster = c;
    c.startAll();
    expect(await c.until(async () => (await Promise.all([0, 1, 2].map((i) => c.info(i)))).every((info) => (info?.committedPeriod ?? 0) > 0), 15_000), c.logs()).toBe(true);

    const text = await runProgram(['evidence', '--network', c.networkFile]);
    expect(text.exitCode, show(text)).toBe(0);
    expect(text.stdout).toBe(
      [
        'network testnet (majority: a certificate needs 2 of 3 servers); 3 of 3 asked answered',
        'server 0: holds no proof; taking part',
        'server 1: holds no proof; taking part',
        'server 2: holds no proof; taking part',
        'no proof of equivocation: every server that answered holds none',
        '',
      ].join('\n'),
    );
    expect(text.stderr).toBe('');

    const json = await runProgram(['evidence', '--network', c.networkFile, '--json', '--server', `127.0.0.1:${c.servers[2]!.port}`]);
    expect(json.exitCode, show(json)).toBe(0);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toEqual({
      network: 'testnet',
      networkId: toHex(c.network.id),
      quorum: 'majority',
      servers: [{ server: 2, answered: true, count: 0, stopped: false }],
      proofs: [],
    });

    const [stranger] = await freePorts(1);
    const usage = await runProgram(['evidence', '--network', c.networkFile, '--server', `127.0.0.1:${stranger}`]);
    expect(usage.exitCode, show(usage)).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toBe(`scryp: --server 127.0.0.1:${stranger} is not a server of network testnet (its servers: ${c.servers.map((server) => `127.0.0.1:${server.port}`).join(', ')}) (see --help)\n`);

    const info = await runProgram(['info', `127.0.0.1:${c.servers[0]!.port}`, '--network', c.networkFile]);
    expect(info.exitCode, show(info)).toBe(0);
    expect(info.stdout).toContain('\nevidence: none held\ntaking part\n');
    const infoJson = await runProgram(['info', `127.0.0.1:${c.servers[0]!.port}`, '--network', c.networkFile, '--json']);
    expect(JSON.parse(infoJson.stdout).evidence).toEqual({ count: 0, stopped: false, why: null });
  });

  test('no server answers: exit 4, nothing on stdout, a line per server and one that says nothing is known', async () => {
    const c = await ProcessCluster.create({ servers: 2, periodMs: 300 });
    cluster = c; // never started: its ports are free
    const r = await runProgram(['evidence', '--network', c.networkFile]);
    expect(r.exitCode, show(r)).toBe(4);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      `scryp: server 0 (127.0.0.1:${c.servers[0]!.port}): no valid reply from 127.0.0.1:${c.servers[0]!.port} after 4 attempts`,
      `scryp: server 1 (127.0.0.1:${c.servers[1]!.port}): no valid reply from 127.0.0.1:${c.servers[1]!.port} after 4 attempts`,
      'scryp: no server of network testnet answered: nothing is known about evidence',
    ]);
    expect(r.ms).toBeLessThan(10_000);
  });
});
