// The wallet page: a thin view of the wallet process's local API (api-types.ts). It reads
// its token from the URL's fragment, draws the overview, and asks again every period (at
// most once a second); when the committed period moves, History refreshes itself.

import type { Overview } from '../api-types.ts';
import { failureText, get, tokenFromLocation, useToken } from './api.ts';
import { initContacts, refreshContacts } from './contacts.ts';
import { byId, setText, show } from './dom.ts';
import { initHistory, refreshHistory } from './history.ts';
import { initOverview, renderOverview } from './overview.ts';
import { initReceive, renderReceive } from './receive.ts';
import { initSend } from './send.ts';
import { initTabs, onTabSelected } from './tabs.ts';

let committedPeriod: number | null = null;

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
  renderReceive(overview.account.address);
  const period = overview.balance.committedPeriod;
  if (period !== null && period !== committedPeriod) {
    committedPeriod = period;
    void refreshHistory();
  }
  return Math.max(250, Math.min(1000, overview.network.periodMs));
}

async function loop(): Promise<void> {
  // Bounded by the page's life; each round waits at least 250 ms.
  for (;;) {
    const wait = await refresh();
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function start(): void {
  const token = tokenFromLocation();
  initTabs();
  if (token === null) {
    fatal('This page needs its token: open the whole address that scryp wallet printed, including the part after #.');
    setText(byId('network-line'), 'Not connected');
    return;
  }
  useToken(token);
  initOverview();
  initSend();
  initReceive();
  initHistory();
  initContacts();
  onTabSelected((name) => {
    if (name === 'contacts') void refreshContacts();
    if (name === 'history') void refreshHistory();
  });
  void refreshContacts();
  void loop();
}

start();
