// Settings: where the key file is, whether it is encrypted, and the recovery phrase shown
// again once the passphrase (of an encrypted wallet) is typed.

import type { KeyView, PhraseView } from '../api-types.ts';
import { failureText, post } from './api.ts';
import { byId, make, setText, show } from './dom.ts';

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

export function renderSettings(view: KeyView): void {
  setText(byId('settings-file'), view.file);
  setText(
    byId('settings-encrypted'),
    view.encrypted
      ? 'Encrypted under a passphrase: the wallet asks for it when it starts.'
      : 'Not encrypted: anyone who can read this file can spend from the wallet. Encrypt it with scryp encrypt --dir (with the wallet stopped).',
  );
  show(byId('settings-passphrase-field'), view.encrypted);
}

export function initSettings(): void {
  byId<HTMLFormElement>('settings-phrase-form').addEventListener('submit', (event) => void showPhrase(event));
  byId('settings-hide').addEventListener('click', hideWords);
}
