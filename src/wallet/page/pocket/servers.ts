// The pocket wallet's reach: which network, which servers' gateways, and what time it is
// there. Nothing here is believed on one server's word but the network file itself (the
// page came from the same place; PROTOCOL §12.4):
//   - the network file: ./network.json beside the page (a static copy, `scryp wallet
//     --export-static`) or GET /v1/network of the server that served the page; kept, for a
//     start without the network;
//   - every server's gateway: GET /v1/gateways of the first gateways (the page's own origin,
//     or those listed in ./gateways.json), each record checked against the servers in force
//     (a signature by the server it names), the newest kept;
//   - a first gateway no record places is asked INFO: the signed reply says whose it is;
//   - the network's time: the median of a majority's signed INFO replies (network-time.ts),
//     asked once the first balance is drawn (startTime), or before the first signature.
//
// The page's start waits for these in as few rounds as it can (a phone's CPU is the limit:
// every reply's signature is checked here): the network file and the page's own server's
// records are asked at once; the records say where every server is, so INFO is asked only
// of a first gateway they do not place; the first `locate` uses the records just read.
import { toHex } from '../../../bytes.ts';
import { bodyAtMost, GatewayClient } from '../../../client/gateway-client.ts';
import { Kind } from '../../../client/codec.ts';
import { learnNetworkTime } from '../../../client/network-time.ts';
import { gateway_list_bytes_max, gateway_records_max, network_file_bytes_max, network_time_refresh_ms, network_time_retry_ms } from '../../../constants.ts';
import { checkGatewayRecord, type GatewayRecord, gatewayRecordSigningMessage, gatewayRecordsFromJson } from '../../../gateway-record.ts';
import { type Network, parseNetworkText, type ServerEntry, serverIndexOf } from '../../../network.ts';
import { verify, verifyAhead } from '../../../signature.ts';
import { readStored, writeStored } from './storage.ts';

export interface PocketReach {
  readonly network: Network;
  readonly client: GatewayClient;
  /** Where the servers in force answer now: their gateways, learnt again; the network is returned as it is. */
  locate(inForce: Network): Promise<Network>;
  describeServer(server: ServerEntry): string;
  /** The network's time (this device's clock until a majority of servers said theirs). */
  now(): number;
  /** Settles once the network's time was asked (bounded: a few hundred ms per server at most); signing waits for it. */
  timeKnown(): Promise<void>;
  /** Begins learning the network's time if nothing has yet (the page calls it once its first balance is drawn). */
  startTime(): void;
  /** Whether the network file came from the network now (false: the copy kept from an earlier visit). */
  readonly online: boolean;
}

async function fetchText(url: string, max: number): Promise<string | null> {
  try {
    const response = await fetch(url, { cache: 'no-store', credentials: 'omit' });
    if (!response.ok) return null;
    const body = await bodyAtMost(response, max);
    return body === null ? null : new TextDecoder().decode(body);
  } catch {
    return null;
  }
}

/** The URLs of a gateways.json (a list of text); anything else lists none. */
function listedGateways(text: string | null): string[] {
  try {
    const listed: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(listed) ? listed.filter((url): url is string => typeof url === 'string') : [];
  } catch {
    return [];
  }
}

interface FirstContact {
  readonly text: string;
  readonly starts: string[];
  readonly online: boolean;
  /** The text of GET /v1/gateways of each start (null: none read). */
  readonly records: Promise<(string | null)[]>;
}

const recordsOf = (url: string) => fetchText(`${url.replace(/\/+$/, '')}/v1/gateways`, gateway_list_bytes_max);

/** The network file and the first gateways to ask, or null when the page has neither (it is not a pocket wallet's page). */
async function firstContact(): Promise<FirstContact | null> {
  const here = new URL('.', location.href);
  // All four at once: a static copy has the first two, a gateway the last two.
  const own = recordsOf(location.origin);
  const [copy, listed, served] = await Promise.all([
    fetchText(new URL('network.json', here).href, network_file_bytes_max),
    fetchText(new URL('gateways.json', here).href, gateway_list_bytes_max),
    fetchText(new URL('/v1/network', location.href).href, network_file_bytes_max),
  ]);
  if (copy !== null) {
    const starts = listedGateways(listed);
    return { text: copy, starts, online: true, records: Promise.all(starts.map(recordsOf)) };
  }
  if (served !== null) return { text: served, starts: [location.origin], online: true, records: Promise.all([own]) };
  const kept = await readStored<{ text: string; starts: string[] }>('network');
  return kept === undefined ? null : { ...kept, online: false, records: Promise.resolve([]) };
}

/** `verify`, remembering its verdicts: the same gateway record is read again at every `locate`. */
function rememberingVerify(): typeof verify {
  const verdicts = new Map<string, boolean>();
  return (signature, message, key) => {
    const id = `${toHex(signature)}${toHex(key)}${toHex(message)}`;
    let verdict = verdicts.get(id);
    if (verdict === undefined) {
      verdict = verify(signature, message, key);
      if (verdicts.size >= gateway_records_max * 4) verdicts.clear();
      verdicts.set(id, verdict);
    }
    return verdict;
  };
}

export async function reach(): Promise<PocketReach | null> {
  const first = await firstContact();
  if (first === null) return null;
  const network = parseNetworkText(first.text, 'the network file'); // BAD_NETWORK_FILE: the page says so
  // Kept for a start without the network; nothing waits for the write.
  if (first.online) writeStored('network', { text: first.text, starts: first.starts }).catch(() => {});
  const client = new GatewayClient();
  const checked = rememberingVerify();
  const known = new Map<string, { url: string; sequence: number }>(); // server key hex -> gateway
  const use = (key: Uint8Array, given: string, sequence: number) => {
    const url = given.replace(/\/+$/, ''); // records may end in "/": paths are added to the base
    const hex = toHex(key);
    if ((known.get(hex)?.sequence ?? -1) > sequence) return;
    known.set(hex, { url, sequence });
    client.useGateway(key, url);
  };
  const learnRecords = async (inForce: Network, lists: readonly (string | null)[]) => {
    const records: GatewayRecord[] = [];
    for (const text of lists) {
      if (text === null) continue;
      try {
        records.push(...gatewayRecordsFromJson(JSON.parse(text)).records);
      } catch {
        // not a list: this gateway does not help
      }
    }
    // Their signatures checked ahead, all at once (the browser's WebCrypto), then each record as always.
    await Promise.all(records.map((record) => (serverIndexOf(inForce, record.key) < 0 ? null : verifyAhead(record.signature, gatewayRecordSigningMessage(inForce.id, record), record.key))));
    for (const record of records) if (checkGatewayRecord(inForce, record, checked) >= 0) use(record.key, record.url, record.sequence);
  };
  // The records the first gateways serve, checked against the network file's servers.
  let lists: (string | null)[] | null = await first.records;
  await learnRecords(network, lists);
  // A first gateway no record places: a signed INFO says whose it is (sequence 0: any record is newer).
  const placed = new Set([...known.values()].map((gateway) => gateway.url));
  const unplaced = network.servers.some((server) => !known.has(server.keyHex)) ? first.starts.filter((url) => !placed.has(url.replace(/\/+$/, ''))) : [];
  await Promise.all(
    unplaced.map(async (url) => {
      try {
        const reply = await client.askAt(url, { kind: Kind.INFO }, { networkId: network.id, serverCount: network.servers.length, attempts: 2, timeoutMs: 500 });
        use(reply.serverKey, url, 0);
      } catch {
        // down or not of this network: the records may name others
      }
    }),
  );

  async function locate(inForce: Network): Promise<void> {
    // The first time, the records reach() has just read; then every known gateway's, anew.
    const texts = lists ?? (await Promise.all([...new Set([...known.values()].map((gateway) => gateway.url))].map(recordsOf)));
    lists = null;
    await learnRecords(inForce, texts);
    located = inForce;
  }

  let located = network;
  let offsetMs = 0;
  let askAgainAt = Number.POSITIVE_INFINITY; // not before the gateways of the servers in force are known
  let timeLearnt: Promise<void> | null = null;
  const learnTime = (): Promise<void> => {
    askAgainAt = Number.POSITIVE_INFINITY; // one question at a time
    timeLearnt = learnNetworkTime(client, located).then((learned) => {
      if (learned.offsetMs !== null) offsetMs = learned.offsetMs;
      // Too few answered: ask again soon; else once in a while (a clock drifts slowly).
      askAgainAt = Date.now() + (learned.offsetMs === null ? network_time_retry_ms : network_time_refresh_ms);
    });
    return timeLearnt;
  };
  return {
    network,
    client,
    async locate(inForce) {
      await locate(inForce);
      return inForce;
    },
    online: first.online,
    describeServer: (server) => known.get(server.keyHex)?.url ?? 'no gateway known',
    timeKnown: () => timeLearnt ?? learnTime(),
    startTime() {
      // After the first balance: its INFO replies would otherwise be checked in the same moments as the balance's.
      if (timeLearnt === null) void learnTime();
    },
    now() {
      if (Date.now() >= askAgainAt) void learnTime();
      return Date.now() + offsetMs;
    },
  };
}
