import { defineCommand } from 'citty';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../bytes.ts';
import { devnetGatewayPort, devnetNetwork, devnetNodeArgs, devnetServerDir, devnetWalletDir, devnetWalletSeed } from '../devnet.ts';
import { ledger_file_name } from '../ledger/sqlite-store.ts';
import { logger } from '../log.ts';
import { loadOrCreateSeed } from '../seed.ts';
import { publicKeyFromSeed } from '../signature.ts';
import { action, logArgs, setupLogs } from './common.ts';

/** How to run this same program again: the executable alone, or bun with the script. */
export function selfCommand(): string[] {
  const compiled = Bun.main.startsWith('/$bunfs/') || Bun.main.startsWith('B:/~BUN/');
  return compiled ? [process.execPath] : [process.execPath, Bun.main];
}

export const devnetCommand = defineCommand({
  meta: {
    name: 'devnet',
    description:
      'Start the three devnet servers 0, 1 and 2 (127.0.0.1:4001-4003) as child processes, each in ./seeds/devnet/server<i>, and show their logs tagged by server; with --http each also serves its HTTP gateway on 127.0.0.1:8001-8003. Ctrl-C stops all three.',
  },
  args: {
    reset: { type: 'boolean', description: 'delete the three ledgers first and start again from genesis', default: false },
    http: { type: 'boolean', description: 'each server also serves its HTTP gateway (and the pocket wallet) on 127.0.0.1:8001, 8002 and 8003', default: false },
    ...logArgs,
  },
  run: ({ args }) =>
    action(async () => {
      setupLogs(args);
      const log = logger('devnet');
      const wallet = loadOrCreateSeed(devnetWalletDir(), devnetWalletSeed);
      log.info(`devnet ${toHex(devnetNetwork.id).slice(0, 16)}…: test keys only. The genesis wallet is ${devnetWalletDir()} (${toHex(publicKeyFromSeed(wallet.seed))})`);
      const children = devnetNetwork.servers.map((_, index) => {
        if (args.reset) for (const suffix of ['', '-wal', '-shm']) rmSync(join(devnetServerDir(index), ledger_file_name + suffix), { force: true });
        const child = Bun.spawn([...selfCommand(), ...devnetNodeArgs(index, { http: args.http, logLevel: args['log-level'] ?? 'info', json: args.json === true })], {
          stdout: 'pipe',
          stderr: 'pipe',
          stdin: 'ignore',
        });
        void relay(child.stdout, `server${index}`);
        void relay(child.stderr, `server${index}`);
        void child.exited.then((code) => log.info(`server${index} exited with code ${code}`));
        return child;
      });
      log.info('three servers starting; Ctrl-C stops them');
      if (args.http) log.info(`gateways: ${devnetNetwork.servers.map((_, index) => `http://127.0.0.1:${devnetGatewayPort(index)}/`).join(' ')} (open one in a browser for the pocket wallet)`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) return;
          stopping = true;
          for (const child of children) child.kill('SIGTERM');
          void Promise.all(children.map((child) => child.exited)).then(() => resolve());
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    }),
});

/** Copies a child's output to our stderr, one line at a time, each tagged with its server. */
async function relay(stream: ReadableStream<Uint8Array>, tag: string): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      process.stderr.write(`${tag.padEnd(8)} | ${pending.slice(0, newline)}\n`);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  if (pending.length > 0) process.stderr.write(`${tag.padEnd(8)} | ${pending}\n`);
}
