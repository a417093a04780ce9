// `scryp devnet --http`: what each devnet server is started with. The devnet itself binds
// the fixed ports 4001-4003 (and 8001-8003), which tests never take; its children are
// `scryp node` with these arguments, and every one of them is a flag `scryp node` knows.

import { describe, expect, test } from 'bun:test';
import { unknownFlag } from '../src/cli/main.ts';
import { devnetGatewayPort, devnetNetwork, devnetNodeArgs } from '../src/devnet.ts';

describe('scryp devnet', () => {
  test('without --http: each server on its port, nothing more', () => {
    for (const [index, server] of devnetNetwork.servers.entries()) {
      const args = devnetNodeArgs(index, { http: false, logLevel: 'info', json: false });
      expect(args).toEqual(['node', '--port', String(server.address.port), '--log-level', 'info']);
      expect(unknownFlag(args)).toBeNull();
    }
  });

  test('with --http: server i serves its gateway on 127.0.0.1:800(i+1), public there, so that GET /v1/gateways lists all three', () => {
    expect(devnetNetwork.servers.map((_, index) => devnetGatewayPort(index))).toEqual([8001, 8002, 8003]);
    for (const index of devnetNetwork.servers.keys()) {
      const args = devnetNodeArgs(index, { http: true, logLevel: 'debug', json: true });
      const port = 8001 + index;
      expect(args.slice(args.indexOf('--http'), args.indexOf('--http') + 4)).toEqual(['--http', `127.0.0.1:${port}`, '--http-public', `http://127.0.0.1:${port}/`]);
      expect(args).toContain('--json');
      expect(unknownFlag(args)).toBeNull();
    }
  });
});
