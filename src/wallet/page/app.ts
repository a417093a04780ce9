// The wallet page: a thin view of the wallet's local API (api-types.ts). Opened with a
// token in the URL's fragment, it is `scryp wallet`'s page and talks to that process;
// opened without one where a network file is at hand (GET / of a server's gateway, or a
// static copy), it is the pocket wallet and runs the wallet in the page (pocket/). Then
// it asks which screen comes first: the first screen (no key yet), the unlock screen (an
// encrypted key; the pocket wallet opens locked and asks the passphrase to sign), or the
// wallet. Once the wallet is open it draws the overview and asks again every period (at
// most once a second); when the committed period moves, History refreshes itself.
//
// A staff link opens the till alone (till.ts): `scryp wallet`'s with #staff=TOKEN (the
// process allows that token the till's calls only), the pocket wallet's with #till=ADDRESS
// (the wallet runs in the page for that account with no key). The page then shows the
// till and nothing else: no tabs, no Send, no Refund, no way to the key.

import { parseAccount } from '../../address.ts';
import type { KeyView, Overview } from '../api-types.ts';
import { failureText, get, httpBackend, staffTokenFromLocation, tillFromLocation, tokenFromLocation, useBackend } from './api.ts';
import { initContacts, refreshContacts } from './contacts.ts';
import { byId, setText, show } from './dom.ts';
import { initHistory, refreshHistory } from './history.ts';
import { initOverview, renderOverview } from './overview.ts';
import { initReceive, renderReceive } from './receive.ts';
import { initSend, setSignerOpen } from './send.ts';
import { initCamera } from './camera.ts';
import { pocketBackend } from './pocket/backend.ts';
import { installable } from './pocket/install.ts';
import { initSettings, renderSettings, renderStaffLink } from './settings.ts';
import { hideKeyScreens, initKeyScreens, showKeyScreen } from './setup.ts';
import { initTabs, onTabSelected } from './tabs.ts';
import { initTill, openTill, renderTillAccount } from './till.ts';

let committedPeriod: number | null = null;
/** The page is a staff link's: the till alone. */
let staff = false;

function fatal(text: string | null): void {
  setText(byId('fatal'), text ?? '');
  show(byId('fatal'), text !== null);
}

async function refresh(): Promise<number> {
  let overview: Overview;
  try {
    overview = await get<Overview>('/api/overview');
  } catch (error) {
    fatal(failureText(error));
    return 2000;
  }
  fatal(null);
  renderOverview(overview);
  renderTillAccount(overview.account.address);
  if (staff) return Math.max(1000, overview.network.periodMs); // the till asks for its sale itself; this is the header's line
  renderReceive(overview.account.address);
  const period = overview.balance.committedPeriod;
  if (period !== null && period !== committedPeriod) {
    committedPeriod = period;
    void refreshHistory();
  }
  return Math.max(250, Math.min(1000, overview.network.periodMs));
}

async function loop(): Promise<void> {
  // For the page's life; each round waits at least 250 ms.
  for (;;) {
    const wait = await refresh();
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function openWallet(key: KeyView): void {
  hideKeyScreens();
  show(byId('screen-wallet'), true);
  renderSettings(key);
  setSignerOpen(key.state === 'open');
  setText(byId('network-line'), 'Asking the servers…');
  void refreshContacts();
  void renderStaffLink();
  void loop();
}

/** The till alone, for a staff link's session. */
function openStaffTill(): void {
  document.body.classList.add('staff');
  setText(byId('network-line'), 'Asking the servers…');
  initTill(true);
  openTill();
  void loop();
}

/** Starts the pocket wallet when this page is one: 'none' when it is not, 'failed' when it is but cannot start (said on the page). */
async function startPocket(till: Uint8Array | null): Promise<'pocket' | 'none' | 'failed'> {
  setText(byId('network-line'), 'Finding the servers…');
  let backend;
  try {
    backend = await pocketBackend({ info: (message) => console.info(message), error: (message) => console.error(message) }, till);
  } catch (error) {
    fatal(`The wallet cannot start: ${error instanceof Error ? error.message : String(error)}`);
    setText(byId('network-line'), 'Not connected');
    return 'failed';
  }
  if (backend === null) return 'none';
  useBackend(backend);
  document.body.classList.add('pocket');
  installable();
  return 'pocket';
}

/** The account a pocket wallet's staff link names, or null; a link that names none is said on the page. */
function tillAccount(): Uint8Array | null | 'bad' {
  const text = tillFromLocation();
  if (text === null) return null;
  try {
    return parseAccount(decodeURIComponent(text), 'The till link’s account');
  } catch (error) {
    fatal(`This till link does not name an account: ${error instanceof Error ? error.message : String(error)}. Ask for the staff link again (the wallet’s Settings shows it).`);
    setText(byId('network-line'), 'Not connected');
    return 'bad';
  }
}

/** The screens' controls, wired before anything is asked (the pocket wallet reaches its servers meanwhile). */
function initScreens(): void {
  initTabs();
  initKeyScreens();
  initOverview();
  initSend();
  initReceive();
  initHistory();
  initContacts();
  initSettings();
  initCamera();
  initTill(false);
  onTabSelected((name) => {
    if (name === 'contacts') void refreshContacts();
    if (name === 'history') void refreshHistory();
    if (name !== 'settings') {
      // The words never stay on the page behind another tab.
      byId('settings-word-list').replaceChildren();
      show(byId('settings-words'), false);
    }
  });
}

async function start(): Promise<void> {
  const staffToken = staffTokenFromLocation();
  const token = tokenFromLocation() ?? staffToken;
  const till = token === null ? tillAccount() : null;
  if (till === 'bad') return;
  staff = (token !== null && token === staffToken) || till !== null;
  const starting = token === null ? startPocket(till) : null;
  if (!staff) initScreens(); // while the pocket wallet's first requests are on their way
  const pocket = await starting;
  if (pocket === 'failed') return;
  if (token !== null) useBackend(httpBackend(token));
  else if (pocket === 'none') {
    fatal('This page needs its token: open the whole address that scryp wallet printed, including the part after #.');
    setText(byId('network-line'), 'Not connected');
    return;
  }
  if (staff) {
    openStaffTill();
    return;
  }
  let key: KeyView;
  try {
    key = await get<KeyView>('/api/key');
  } catch (error) {
    fatal(failureText(error));
    return;
  }
  if (key.state === 'open' || (key.keptIn === 'browser' && key.state === 'locked')) openWallet(key);
  else {
    setText(byId('network-line'), key.state === 'new' ? 'New wallet' : 'Locked');
    showKeyScreen(key, openWallet);
  }
}

void start();
