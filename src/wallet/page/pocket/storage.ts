// What the pocket wallet keeps in the browser, in one IndexedDB store of named values:
//   seed      the key as the encrypted `.seed` line (never the seed itself)
//   contacts  the address book, as contacts.json's text
//   network   the network file's text, for a start without the network
//   offline   the last overview and history page seen, shown (marked) when offline
// Nothing here leaves the browser.

const database_name = 'scryp-pocket';
const store_name = 'values';

export type StoredName = 'seed' | 'contacts' | 'network' | 'offline';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(database_name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(store_name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB does not open'));
  });
}

let database: Promise<IDBDatabase> | null = null;

async function transaction<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  database ??= open();
  const store = (await database).transaction(store_name, mode).objectStore(store_name);
  return new Promise((resolve, reject) => {
    const request = work(store);
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB refused'));
  });
}

export async function readStored<T>(name: StoredName): Promise<T | undefined> {
  return transaction<T | undefined>('readonly', (store) => store.get(name));
}

export async function writeStored(name: StoredName, value: unknown): Promise<void> {
  await transaction('readwrite', (store) => store.put(value, name));
}

/** Asks the browser not to evict this origin's storage (the key lives there): granted or not, nothing else changes. */
export async function askToPersist(): Promise<void> {
  await navigator.storage?.persist?.().catch(() => false);
}
