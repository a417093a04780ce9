import { defineCommand, runCommand, runMain, showUsage } from 'citty';
import { exit_code } from './common.ts';
import { devnetCommand } from './devnet.ts';
import { infoCommand } from './info.ts';
import { keygenCommand } from './keygen.ts';
import { restoreCommand } from './restore.ts';
import { encryptCommand } from './encrypt.ts';
import { decryptCommand } from './decrypt.ts';
import { nodeCommand } from './node.ts';
import { payCommand } from './pay.ts';
import { balanceCommand } from './balance.ts';
import { statusCommand } from './status.ts';
import { historyCommand } from './history.ts';
import { walletCommand } from './wallet.ts';
import { networkCommand } from './network.ts';
import { backupCommand } from './backup.ts';
import { evidenceCommand } from './evidence.ts';
import { watchCommand } from './watch.ts';
import { receiptCommand } from './receipt.ts';
import packageJson from '../../package.json';

export const mainCommand = defineCommand({
  meta: {
    name: 'scryp',
    version: packageJson.version,
    description: 'A small, fast, trustworthy cryptocurrency node for local communities',
  },
  subCommands: {
    devnet: devnetCommand,
    node: nodeCommand,
    keygen: keygenCommand,
    restore: restoreCommand,
    encrypt: encryptCommand,
    decrypt: decryptCommand,
    info: infoCommand,
    pay: payCommand,
    balance: balanceCommand,
    status: statusCommand,
    history: historyCommand,
    wallet: walletCommand,
    network: networkCommand,
    backup: backupCommand,
    evidence: evidenceCommand,
    watch: watchCommand,
    receipt: receiptCommand,
  },
});

/** A flag the command does not define, as written (`--prot`), or null when all are known. */
export function unknownFlag(rawArgs: readonly string[]): string | null {
  type Definition = { args?: Record<string, { type?: string; alias?: string | string[] }>; subCommands?: Record<string, Definition> };
  // The command the leading words name, down through nested ones (`network new`).
  let command: Definition | undefined;
  let table = mainCommand.subCommands as Record<string, Definition> | undefined;
  for (const word of rawArgs.filter((arg) => !arg.startsWith('-'))) {
    const next = table?.[word];
    if (next === undefined) break;
    command = next;
    table = next.subCommands;
  }
  if (command === undefined) return null; // citty names an unknown command itself
  const known = new Set<string>();
  for (const [flag, definition] of Object.entries(command.args ?? {})) {
    known.add(flag);
    for (const alias of [definition.alias ?? []].flat()) known.add(alias);
    if (definition.type === 'boolean') known.add(`no-${flag}`);
  }
  for (const arg of rawArgs) {
    if (arg === '--') break; // what follows is positional
    // Not a flag: a positional, a lone '-', or a negative number (the value of --clock-offset-ms -150).
    if (!arg.startsWith('-') || arg === '-' || /^-[0-9]/.test(arg)) continue;
    const flag = arg.replace(/^--?/, '').split('=')[0]!;
    if (!known.has(flag)) return arg.split('=')[0]!;
  }
  return null;
}

/**
 * Runs the CLI. Help and version are citty's; a usage error, citty's (a missing argument,
 * an unknown command) or ours (a flag the command does not define: a typo such as --prot
 * must not quietly run on the defaults), is one line on stderr and exit code 2.
 */
export async function runCli(rawArgs: readonly string[]): Promise<void> {
  // A reader that stops early (`scryp keygen | head -n 1`) closes the pipe: that is not an
  // error of ours. Stop quietly, as other command-line tools do, instead of printing a stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(exit_code.ok);
    throw error;
  });
  const usage = (message: string): never => {
    process.stderr.write(`scryp: ${message} (see --help)\n`);
    process.exit(exit_code.usage);
  };
  if (rawArgs.length === 0) {
    // No command: what there is to run, and a usage exit.
    await showUsage(mainCommand);
    usage('no command given');
  }
  if (rawArgs.some((arg) => arg === '--help' || arg === '-h') || (rawArgs.length === 1 && (rawArgs[0] === '--version' || rawArgs[0] === '-v'))) {
    await runMain(mainCommand, { rawArgs: [...rawArgs] });
    return;
  }
  const unknown = unknownFlag(rawArgs);
  if (unknown !== null) usage(`unknown option ${unknown}`);
  try {
    await runCommand(mainCommand, { rawArgs: [...rawArgs] });
  } catch (error) {
    if ((error as Error).name === 'CLIError') usage((error as Error).message.replace(/\x1b\[[0-9;]*m/g, ''));
    throw error;
  }
}
