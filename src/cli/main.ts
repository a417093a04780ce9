import { defineCommand } from 'citty';
import { devnetCommand } from './devnet.ts';
import { infoCommand } from './info.ts';
import { keygenCommand } from './keygen.ts';
import { nodeCommand } from './node.ts';
import { payCommand } from './pay.ts';
import { balanceCommand } from './balance.ts';
import { statusCommand } from './status.ts';
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
    info: infoCommand,
    pay: payCommand,
    balance: balanceCommand,
    status: statusCommand,
  },
});
