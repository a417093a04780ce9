// The wallet's local API (api-types.ts), one table for both of its edges: `scryp wallet`'s
// HTTP server (server.ts, after its Host, token and Origin checks) and the pocket wallet's
// page, which calls it in the page itself (page/api.ts). The key's calls come first: they
// are the only ones before the wallet is open.
//
// Two roles. The owner (the wallet's own link) may call everything. Staff (the staff link,
// which opens the till alone: `scryp wallet`'s staff token, or the pocket wallet's
// #till=ADDRESS with no key in that browser) may call only what the till reads and does:
// the overview (account and balance) and the till's calls. Every other call is refused
// before anything is read or done: WALLET_STAFF.

import { fail } from '../errors.ts';
import type { KeyFileView, KeyView, NewWalletView, StaffView } from './api-types.ts';
import { type JsonObject, parseCursor } from './api-request.ts';
import type { WalletService } from './service.ts';

/** Where the key is kept: DIR/.seed (keys.ts) or the browser (the pocket wallet's keys). */
export interface KeyStore {
  view(): KeyView | Promise<KeyView>;
  unlock(body: JsonObject): KeyView | Promise<KeyView>;
  begin(): NewWalletView | Promise<NewWalletView>;
  create(body: JsonObject): KeyView | Promise<KeyView>;
  restore(body: JsonObject): KeyView | Promise<KeyView>;
  phrase(body: JsonObject): string[] | Promise<string[]>;
  /** The pocket wallet only: a `.seed` file's text brought in, and the key as that file. */
  importFile?(body: JsonObject): Promise<KeyView>;
  exportFile?(): Promise<KeyFileView>;
}

export type ApiAnswer = { readonly json: unknown } | { readonly csv: string };

export type ApiRole = 'owner' | 'staff';

/** What answers the calls: the key, the open wallet (null until it is), who calls, and the staff link to show the owner. */
export interface ApiEdge {
  readonly keys: KeyStore;
  readonly service: WalletService | null;
  readonly role: ApiRole;
  readonly staff: () => StaffView;
}

/** The calls a staff session may make: the till's reads and its sales, nothing that sends, shows a key, or changes contacts or settings. */
export function staffMayCall(method: string, path: string): boolean {
  if (method === 'GET') return path === '/api/overview' || /^\/api\/till\/[0-9a-f]{1,64}$/.test(path);
  return method === 'POST' && (path === '/api/till' || path === '/api/till/cancel');
}

/** The answer to one call; refusals are ScrypErrors (WALLET_LOCKED before the wallet is open, WALLET_STAFF for a call staff may not make, WALLET_REQUEST for no such call). */
export async function answerApi(method: string, path: string, query: URLSearchParams, body: () => Promise<JsonObject>, edge: ApiEdge): Promise<ApiAnswer> {
  const { keys, service } = edge;
  const json = async (value: unknown): Promise<ApiAnswer> => ({ json: await value });
  if (edge.role === 'staff' && !staffMayCall(method, path)) {
    fail('WALLET_STAFF', 'the staff link opens the till alone: sending, refunds, keys, contacts, history and settings need the wallet’s own link');
  }
  if (method === 'GET' && path === '/api/key') return json(keys.view());
  if (method === 'POST' && path === '/api/key/unlock') return json(keys.unlock(await body()));
  if (method === 'POST' && path === '/api/key/new') return json(keys.begin());
  if (method === 'POST' && path === '/api/key/create') return json(keys.create(await body()));
  if (method === 'POST' && path === '/api/key/restore') return json(keys.restore(await body()));
  if (method === 'POST' && path === '/api/key/phrase') return json({ words: await keys.phrase(await body()) });
  if (method === 'POST' && path === '/api/key/import' && keys.importFile !== undefined) return json(keys.importFile(await body()));
  if (method === 'GET' && path === '/api/key/export' && keys.exportFile !== undefined) return json(keys.exportFile());
  if (service === null) {
    const state = (await keys.view()).state;
    fail('WALLET_LOCKED', state === 'new' ? 'this wallet has no key yet: create or restore one first' : 'this wallet is locked: type its passphrase first');
  }
  if (method === 'GET' && path === '/api/overview') return json(service.overview());
  if (method === 'POST' && path === '/api/recipient') return json(service.recipient(await body()));
  if (method === 'POST' && path === '/api/payments/check') return json(service.check(await body()));
  if (method === 'POST' && path === '/api/payments') return json(service.send(await body()));
  if (method === 'GET' && path.startsWith('/api/payments/')) return json(service.payment(path.slice('/api/payments/'.length)));
  if (method === 'POST' && path === '/api/request') return json(service.request(await body()));
  if (method === 'GET' && path === '/api/contacts') return json(service.contactsView());
  if (method === 'POST' && path === '/api/contacts') return json(service.addContact(await body()));
  if (method === 'POST' && path === '/api/contacts/remove') return json(service.removeContact(await body()));
  if (method === 'GET' && path === '/api/history') return json(service.history(parseCursor(query.get('before'))));
  if (method === 'GET' && path === '/api/history.csv') return { csv: await service.historyCsv() };
  if (method === 'POST' && path === '/api/receipt') return json(service.receipt(await body()));
  if (method === 'POST' && path === '/api/refund') return json(service.refund(await body()));
  if (method === 'POST' && path === '/api/till') return json(service.tillStart(await body()));
  if (method === 'POST' && path === '/api/till/cancel') return json(service.tillCancel(await body()));
  if (method === 'GET' && path.startsWith('/api/till/')) return json(service.tillView(path.slice('/api/till/'.length)));
  if (method === 'GET' && path === '/api/staff') return json(edge.staff());
  fail('WALLET_REQUEST', `${method} ${path}: no such API call`);
}
