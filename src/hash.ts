// SHA-2 with domain separation by prefix. The hashing itself is the platform's: Bun's native
// hasher on the node and the CLI, @noble/hashes in the browser (package.json "imports", #hash).

import { utf8 } from './bytes.ts';

export { sha256, sha512 } from '#hash';

/** Domain tags: every hash and signature in scryp starts with one, so none can be replayed as another. */
export const domain = {
  network: utf8('scryp/network/v1'),
  transaction: utf8('scryp/tx/v1'),
  transactionWithReference: utf8('scryp/tx/v2'),
  reply: utf8('scryp/reply/v1'),
  batch: utf8('scryp/batch/v1'),
  vote: utf8('scryp/vote/v1'),
  leaf: utf8('scryp/leaf/v1'),
  mid: utf8('scryp/mid/v1'),
  state: utf8('scryp/state/v1'),
  stateWithChanges: utf8('scryp/state/v2'),
  changes: utf8('scryp/changes/v1'),
  proposal: utf8('scryp/proposal/v1'),
  prevote: utf8('scryp/prevote/v1'),
  precommit: utf8('scryp/precommit/v1'),
  address: utf8('scryp/address/v1'),
  gateway: utf8('scryp/gateway/v1'),
} as const;
