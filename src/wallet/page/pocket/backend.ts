// The pocket wallet's backend: the same API as the `scryp wallet` process (api-routes.ts),
// answered in this page by the same WalletService, over the servers' gateways (servers.ts),
// with the key (keys.ts) and contacts kept in this browser. It adds what a phone needs:
// when no server is reached (offline, or every gateway down) it shows the last overview and
// history page it saw, marked as such, and refuses to sign anything (POCKET_OFFLINE).
//
// Opened from a staff link (#till=ADDRESS), it is the till alone for that account: no key
// is read from this browser or asked for, the calls are a staff session's (api-routes.ts),
// and everything it shows is public (the servers' signed answers about the account).

import { isScrypError, type ScrypError, fail } from '../../../errors.ts';
import type { HistoryView, KeyView, Overview, StaffView } from '../../api-types.ts';
import { parseBody } from '../../api-request.ts';
import { answerApi, type ApiRole, type KeyStore } from '../../api-routes.ts';
import { type Contact, type ContactsStore, formatContactsFile, parseContactsFile } from '../../contacts.ts';
import { WalletService, type WalletServiceOptions } from '../../service.ts';
import { ApiFailure, type Backend } from '../api.ts';
import { Changes } from '../follow.ts';
import { PocketKeys } from './keys.ts';
import { reach } from './servers.ts';
import { askToPersist, readStored, writeStored } from './storage.ts';

/** The contacts in this browser: read once at start, saved on each change. */
async function browserContacts(): Promise<ContactsStore> {
  const text = await readStored<string>('contacts');
  let contacts: Contact[] = [];
  let problem: ScrypError | null = null;
  try {
    if (text !== undefined) contacts = parseContactsFile(text, 'the contacts in this browser');
  } catch (error) {
    if (!isScrypError(error)) throw error;
    problem = error;
  }
  return {
    load: () => ({ contacts: [...contacts], problem }),
    save(changed) {
      contacts = [...changed];
      void writeStored('contacts', formatContactsFile(contacts));
    },
  };
}

interface Seen {
  overview?: { view: Overview; at: number };
  history?: { view: HistoryView; at: number };
}

const when = (at: number) => new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The message of a ScrypError without its "CODE: " prefix (the page shows the code apart). */
const messageOf = (error: ScrypError) => (error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message);

const staffOnly = (): never => fail('WALLET_STAFF', 'this page is a till opened from a staff link: it holds no key and can never send');

/** The till's session holds no key: every key call is refused (api-routes.ts refuses them first). */
const noKeys: KeyStore = {
  view: (): KeyView => staffOnly(),
  unlock: staffOnly,
  begin: staffOnly,
  create: staffOnly,
  restore: staffOnly,
  phrase: staffOnly,
};

/**
 * The pocket wallet's backend, or null when this page is not served as one (no network file
 * beside it or at its server). With `till` (an account's key, from a staff link), the till
 * alone for that account.
 */
export async function pocketBackend(log: { info(message: string): void; error(message: string): void }, till: Uint8Array | null = null): Promise<Backend | null> {
  // What this browser keeps is read while the servers are reached, not after.
  const kept = Promise.all([till === null ? browserContacts() : null, till === null ? PocketKeys.read() : null, readStored<Seen>('offline')]);
  kept.catch(() => {}); // when the page is not a pocket wallet's, nobody reads these
  const found = await reach();
  if (found === null) return null;
  const servers = found;
  const [browserKept, keyLine, seenBefore] = await kept;
  const contacts: ContactsStore = browserKept ?? { load: () => ({ contacts: [], problem: null }), save: staffOnly };
  const changes = new Changes();
  let service: WalletService | null = null;
  const open = (account: Uint8Array, signer: WalletServiceOptions['signer']) => {
    service = new WalletService({
      network: servers.network,
      account,
      signer,
      client: servers.client,
      contacts,
      locate: (inForce) => servers.locate(inForce),
      describeServer: (server) => servers.describeServer(server),
      log,
      now: () => servers.now(),
      onPaymentChange: () => changes.happened(),
    });
  };
  let keys: KeyStore;
  if (till === null) {
    const pocketKeys: PocketKeys = PocketKeys.withLine(keyLine ?? null, (account) => {
      open(account, (request) => pocketKeys.signerFor(request));
      void askToPersist();
    });
    keys = pocketKeys;
  } else {
    open(till, staffOnly);
    keys = noKeys;
  }
  const role: ApiRole = till === null ? 'owner' : 'staff';
  // The staff link of this wallet: this page, opened with the account's address and no key.
  const staff = (): StaffView => {
    const opened: WalletService | null = service;
    const address = opened === null ? staffOnly() : opened.address;
    return {
      link: `${location.origin}${location.pathname}#till=${address}`,
      note: 'Opens the till for this account in any browser (a shop’s tablet, a colleague’s phone): it takes payments and reads only what the servers tell anyone. It holds no key, so it can never send. It keeps working as long as the account does.',
    };
  };
  const seen: Seen = seenBefore ?? {};
  let reached = servers.online;
  const offline = () => !reached || !navigator.onLine;

  async function answer(method: 'GET' | 'POST', path: string, body: unknown): Promise<unknown> {
    const url = new URL(path, location.origin);
    if (method === 'POST' && (url.pathname === '/api/payments/check' || url.pathname === '/api/payments') && offline()) {
      fail('POCKET_OFFLINE', 'no server is reached: nothing can be signed or sent now; try again when the phone is online');
    }
    if (method === 'POST' && url.pathname === '/api/payments') await servers.timeKnown(); // stamped with the network's time, not a wrong clock's
    const result = await answerApi(method, url.pathname, url.searchParams, async () => parseBody(JSON.stringify(body ?? {})), { keys, service, role, staff });
    if (!('json' in result)) return result.csv;
    if (url.pathname === '/api/overview') {
      const view = result.json as Overview;
      servers.startTime(); // once the first balance is in: the network's time, for signing
      reached = view.balance.answered > 0 && navigator.onLine;
      if (reached) seen.overview = { view, at: Date.now() };
      else if (seen.overview !== undefined) {
        return { ...seen.overview.view, offline: `Offline: no server answers. This is the balance the servers agreed on at ${when(seen.overview.at)}; nothing can be sent until they answer again.` };
      }
      void writeStored('offline', seen);
    }
    if (url.pathname === '/api/history' && !url.searchParams.has('before')) {
      const view = result.json as HistoryView;
      if (view.committedPeriod !== null) seen.history = { view, at: Date.now() };
      else if (seen.history !== undefined) return { ...seen.history.view, note: `Offline: the history as the servers listed it at ${when(seen.history.at)}.` };
      void writeStored('offline', seen);
    }
    return result.json;
  }

  return {
    changed: (ms) => changes.next(ms),
    async call(method, path, body) {
      try {
        return await answer(method, path, body);
      } catch (error) {
        if (isScrypError(error)) throw new ApiFailure(error.code, messageOf(error), 400);
        log.error(`${method} ${path}: ${(error as Error).stack ?? String(error)}`);
        throw new ApiFailure('INTERNAL', `the wallet failed to answer: ${(error as Error).message}`, 500);
      }
    },
  };
}
