// Contacts: name an address once, pick it when sending. The list lives in DIR/contacts.json;
// a file the wallet cannot read is reported here and left as it is.

import type { ContactsView } from '../api-types.ts';
import { failureText, get, post } from './api.ts';
import { byId, make, setText, show } from './dom.ts';
import { fillRecipient, setContacts } from './send.ts';
import { selectTab } from './tabs.ts';

let names = new Map<string, string>();

/** The contact name of an address, for History's counterparty column. */
export function contactName(address: string): string | null {
  return names.get(address) ?? null;
}

function render(view: ContactsView): void {
  names = new Map(view.contacts.map((contact) => [contact.address, contact.name]));
  const problem = byId('contacts-problem');
  setText(problem, view.problem === null ? '' : `The contacts file cannot be read, and was left as it is: ${view.problem}`);
  show(problem, view.problem !== null);
  show(byId('contacts-empty'), view.contacts.length === 0 && view.problem === null);
  byId('contacts-list').replaceChildren(
    ...view.contacts.map((contact) => {
      const pay = make('button', 'Pay', { type: 'button', 'aria-label': `Pay ${contact.name}` });
      pay.addEventListener('click', () => {
        selectTab('send');
        fillRecipient(contact.address);
        byId('send-amount').focus();
      });
      const remove = make('button', 'Remove', { type: 'button', 'aria-label': `Remove ${contact.name}` });
      remove.addEventListener('click', () => void change('/api/contacts/remove', { name: contact.name }, `Removed ${contact.name}.`));
      const item = make('li');
      item.append(make('span', contact.name, { class: 'name' }), pay, remove, make('code', contact.address, { class: 'address' }));
      return item;
    }),
  );
  setContacts(view.contacts);
}

async function change(path: string, body: unknown, done: string): Promise<boolean> {
  const error = byId('contacts-error');
  try {
    render(await post<ContactsView>(path, body));
    show(error, false);
    setText(byId('contacts-status'), done);
    return true;
  } catch (failure) {
    setText(byId('contacts-status'), '');
    setText(error, failureText(failure));
    show(error, true);
    return false;
  }
}

export async function refreshContacts(): Promise<void> {
  try {
    render(await get<ContactsView>('/api/contacts'));
  } catch (failure) {
    setText(byId('contacts-problem'), failureText(failure));
    show(byId('contacts-problem'), true);
  }
}

export function initContacts(): void {
  byId<HTMLFormElement>('contacts-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = byId<HTMLInputElement>('contact-name');
    const address = byId<HTMLInputElement>('contact-address');
    if (await change('/api/contacts', { name: name.value, address: address.value }, `Saved ${name.value.trim()}.`)) {
      name.value = '';
      address.value = '';
      name.focus();
    }
  });
}
