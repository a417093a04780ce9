// A ledger file checked as test/helpers/ledger-check.ts checks it (the state hash binds the
// chain of changes the file keeps, PROTOCOL §9), and its chain of changes checked link by
// link from the network file (configurationsOf), for a network whose server set changed.

import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { type CommittedChange, configurationsOf, type Configuration } from '../../src/consensus/configuration.ts';
import type { Network } from '../../src/network.ts';
import { verify } from '../../src/signature.ts';
import { chainIn, checkLedger, type LedgerReport } from '../helpers/ledger-check.ts';

export interface ChainedLedgerReport extends LedgerReport {
  readonly chain: CommittedChange[];
  readonly configurations: Configuration[];
}

/** checkLedger (which binds the chain of changes into the state hash), and the chain checked link by link from the network file. */
export function checkLedgerAcrossChanges(dir: string, network: Network): ChainedLedgerReport {
  const db = new Database(join(dir, 'ledger.sqlite'), { readonly: true });
  let chain: CommittedChange[];
  try {
    chain = chainIn(db);
  } finally {
    db.close();
  }
  const configurations = configurationsOf(network, chain, verify);
  return { ...checkLedger(dir, network), chain, configurations };
}
