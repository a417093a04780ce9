// What a wallet learnt of the servers, kept in its directory (DIR/known-servers.json) so
// that `scryp pay` signs and sends at once instead of asking first (PROTOCOL §6.7): the
// chain of committed configuration changes (§6.11) and the newest address record of each
// server in force (§6.10). Read back, it is checked from the network file exactly as the
// servers' answers are (every link of the chain by a quorum of the configuration before it,
// every record by its server's signature): the file spares round trips, it is never trusted.
// After signing, the wallet asks the servers again and keeps what they prove.
//
//   { "network": <network id, hex>, "changes": [<committed change, hex>, ...], "addresses": [<address record, hex>, ...] }

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, Reader, toHex } from '../bytes.ts';
import { withConfiguration } from '../client/chain.ts';
import { newestRecords, withAddresses } from '../client/addresses.ts';
import { type AddressRecord, decodeAddressRecord, encodeAddressRecord } from '../address-record.ts';
import { type CommittedChange, configurationsOf, encodeCommittedChange, readCommittedChange } from '../consensus/configuration.ts';
import { known_servers_file_bytes_max } from '../constants.ts';
import type { Network } from '../network.ts';
import { verify } from '../signature.ts';
import { replaceFile } from './out-file.ts';

export const known_servers_file_name = 'known-servers.json';

/**
 * The network in force as the file in `dir` says, checked from `fileNetwork`; null when there
 * is no file, or it is of another network, or anything in it does not check (the wallet then
 * asks the servers, as it always did).
 */
export function readKnownServers(dir: string, fileNetwork: Network): { network: Network; chain: CommittedChange[]; records: AddressRecord[] } | null {
  const path = join(dir, known_servers_file_name);
  if (!existsSync(path)) return null;
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > known_servers_file_bytes_max) return null;
    const json = JSON.parse(text) as { network?: unknown; changes?: unknown; addresses?: unknown };
    if (json.network !== toHex(fileNetwork.id) || !Array.isArray(json.changes) || !Array.isArray(json.addresses)) return null;
    const chain = json.changes.map((hex, i) => {
      const reader = new Reader(fromHex(hex, undefined, `changes[${i}]`), `changes[${i}]`);
      const change = readCommittedChange(reader);
      reader.end();
      return change;
    });
    const configurations = configurationsOf(fileNetwork, chain, verify); // each link checked: a refusal throws
    const inForce = withConfiguration(fileNetwork, configurations[configurations.length - 1]!);
    const records = json.addresses.map((hex, i) => decodeAddressRecord(fromHex(hex, undefined, `addresses[${i}]`)));
    const checked = newestRecords(inForce, records);
    if (checked.refused > 0) return null;
    return { network: withAddresses(inForce, checked.records), chain, records: checked.records.filter((record) => record !== null) };
  } catch {
    return null; // damaged, or not ours: asked afresh
  }
}

/** Keeps what was learnt, for the next payment (one rename: a crash leaves the old file or the new one). */
export function writeKnownServers(dir: string, fileNetwork: Network, chain: readonly CommittedChange[], records: readonly (AddressRecord | null)[]): void {
  const json = {
    network: toHex(fileNetwork.id),
    changes: chain.map((entry) => toHex(encodeCommittedChange(entry))),
    addresses: records.filter((record) => record !== null).map((record) => toHex(encodeAddressRecord(record))),
  };
  replaceFile(join(dir, known_servers_file_name), `${JSON.stringify(json)}\n`);
}
