// Settings: where the key file is, whether it is encrypted, and the recovery phrase shown
// again once the passphrase (of an encrypted wallet) is typed.

import type { KeyFileView, KeyView, PhraseView, StaffView } from '../api-types.ts';
import { failureText, get, post } from './api.ts';
import { byId, copyText, make, saveFile, setText, show } from './dom.ts';

function hideWords(): void {
  byId('settings-word-list').replaceChildren();
  show(byId('settings-words'), false);
}

async function showPhrase(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const input = byId<HTMLInputElement>('settings-passphrase');
  const error = byId('settings-error');
  try {
    const view = await post<PhraseView>('/api/key/phrase', { passphrase: input.value });
    input.value = '';
    show(error, false);
    byId('settings-word-list').replaceChildren(...view.words.map((word) => make('li', word)));
    show(byId('settings-words'), true);
  } catch (failure) {
    hideWords();
    setText(error, failureText(failure));
    show(error, true);
  }
}

/** Saves the key as a .seed file (the pocket wallet): the encrypted line, never the seed. */
async function exportKey(): Promise<void> {
  const status = byId('settings-export-status');
  try {
    const file = await get<KeyFileView>('/api/key/export');
    saveFile(file.name, file.text, 'application/octet-stream');
    setText(status, `Saved ${file.name}.`);
  } catch (error) {
    setText(status, failureText(error));
  }
}

/** The staff link (the till alone), asked once the wallet is open. */
export async function renderStaffLink(): Promise<void> {
  try {
    const view = await get<StaffView>('/api/staff');
    byId<HTMLInputElement>('settings-staff-link').value = view.link;
    setText(byId('settings-staff-note'), view.note);
  } catch (error) {
    setText(byId('settings-staff-note'), failureText(error));
  }
}

export function renderSettings(view: KeyView): void {
  setText(byId('settings-file'), view.file);
  setText(
    byId('settings-encrypted'),
    view.keptIn === 'browser'
      ? 'Encrypted under your passphrase: the wallet asks for it to sign. Clearing this site’s data in the browser deletes the key: export it first.'
      : view.encrypted
        ? 'Encrypted under a passphrase: the wallet asks for it when it starts.'
        : 'Not encrypted: anyone who can read this file can spend from the wallet. Encrypt it with scryp encrypt --dir (with the wallet stopped).',
  );
  show(byId('settings-passphrase-field'), view.encrypted);
}

export function initSettings(): void {
  byId<HTMLFormElement>('settings-phrase-form').addEventListener('submit', (event) => void showPhrase(event));
  byId('settings-hide').addEventListener('click', hideWords);
  byId('settings-export').addEventListener('click', () => void exportKey());
  byId('settings-staff-copy').addEventListener('click', () => {
    const link = byId<HTMLInputElement>('settings-staff-link');
    void copyText(link.value, link, byId('settings-staff-status'));
  });
}
