// A scryp node in the test's own process (ScrypNode.start), for tests that need to hold its
// clock or read its state: its own directory under `base`, the key of a test seed, loopback.
// The compiled executable is tested through test/helpers/processes.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NodeOptions, ScrypNode } from '../../src/node/server.ts';
import { formatSeed } from '../../src/seed.ts';
import { testSeed } from './keys.ts';

/** The gateway on a port the kernel picks (the node's gatewayUrl says which). */
export const any_loopback_port = { host: '127.0.0.1', port: 0, loopback: true } as const;

export async function startInProcess(base: string, name: string, seedLabel: string, options: Omit<NodeOptions, 'dir' | 'hostname'>): Promise<ScrypNode> {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.seed'), formatSeed(testSeed(seedLabel)), { mode: 0o600 });
  return await ScrypNode.start({ dir, hostname: '127.0.0.1', verifyWorkers: 0, ...options });
}
