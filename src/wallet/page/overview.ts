// Overview: the balance a majority of servers agrees on, at which committed period, who
// disagrees or is silent, and the address with a Copy button.

import type { Overview } from '../api-types.ts';
import { amountText } from '../../amount-text.ts';
import { byId, copyText, make, setText, show } from './dom.ts';

let address = '';

export function initOverview(): void {
  byId('overview-copy').addEventListener('click', () => void copyText(address, byId('overview-address'), byId('overview-copy-status')));
}

export function renderOverview(overview: Overview): void {
  address = overview.account.address;
  const servers = overview.network.servers.length;
  setText(byId('network-line'), `Network ${overview.network.name} · ${servers}\u00a0server${servers === 1 ? '' : 's'} · period ${overview.network.periodMs}\u00a0ms`);
  setText(byId('overview-address'), overview.account.address);
  setText(byId('offline'), overview.offline ?? '');
  show(byId('offline'), overview.offline !== undefined);
  const balance = overview.balance;
  setText(byId('balance'), balance.balance === null ? 'unknown' : amountText(balance.balance));
  setText(byId('agreement'), balance.summary);
  const list = byId('disagreeing');
  list.replaceChildren(...balance.others.map((other) => make('li', `Server ${other.server} (${other.address}): ${other.said}`)));
}
