// The screens before the wallet opens (the wallet process's keys.ts decides which):
//   new    — Create a new wallet (24 words shown, three typed back, an optional passphrase)
//            or Restore from recovery phrase;
//   locked — the passphrase of an encrypted key.
// Both end with the key open; app.ts then shows the wallet. The pocket wallet (its key in
// the browser) also imports a .seed file here, and requires a passphrase.

import type { KeyView, NewWalletView } from '../api-types.ts';
import { failureText, post } from './api.ts';
import { byId, make, setText, show } from './dom.ts';

let onOpen: (view: KeyView) => void = () => {};
let asked: readonly number[] = [];

function showError(id: string, error: unknown | null): void {
  const banner = byId(id);
  setText(banner, error === null ? '' : failureText(error));
  show(banner, error !== null);
}

/** Shows one part of the first screen: the choice, the words, the words typed back, or restore. */
function part(name: 'choice' | 'words' | 'confirm' | 'restore' | 'import'): void {
  show(byId('setup-choice'), name === 'choice');
  show(byId('setup-words'), name === 'words');
  show(byId('setup-confirm'), name === 'confirm');
  show(byId('setup-restore-form'), name === 'restore');
  show(byId('setup-import-form'), name === 'import');
}

function fillWords(list: HTMLElement, words: readonly string[]): void {
  list.replaceChildren(...words.map((word) => make('li', word)));
}

async function startCreate(): Promise<void> {
  showError('setup-confirm-error', null);
  let view: NewWalletView;
  try {
    view = await post<NewWalletView>('/api/key/new', {});
  } catch (error) {
    showError('setup-confirm-error', error);
    part('confirm');
    return;
  }
  fillWords(byId('setup-word-list'), view.words);
  asked = view.ask;
  byId('setup-confirm-fields').replaceChildren(
    ...view.ask.map((position) => {
      const field = make('div', '', { class: 'field' });
      field.append(
        make('label', `Word ${position}`, { for: `setup-word-${position}` }),
        make('input', '', { id: `setup-word-${position}`, type: 'text', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' }),
      );
      return field;
    }),
  );
  part('words');
  byId('setup-words-title').focus();
}

function wordsWritten(): void {
  // The words leave the screen: the three must come from the paper.
  fillWords(byId('setup-word-list'), []);
  part('confirm');
  byId('setup-confirm-title').focus();
}

async function create(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const body: Record<string, string> = {
    passphrase: byId<HTMLInputElement>('setup-passphrase').value,
    repeat: byId<HTMLInputElement>('setup-repeat').value,
  };
  for (const position of asked) body[`word${position}`] = byId<HTMLInputElement>(`setup-word-${position}`).value;
  const button = byId<HTMLButtonElement>('setup-confirm-submit');
  button.disabled = true;
  setText(button, body.passphrase === '' ? 'Creating…' : 'Encrypting…');
  try {
    const view = await post<KeyView>('/api/key/create', body);
    showError('setup-confirm-error', null);
    onOpen(view);
  } catch (error) {
    showError('setup-confirm-error', error);
  } finally {
    button.disabled = false;
    setText(button, 'Create wallet');
  }
}

async function restore(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const button = byId<HTMLButtonElement>('restore-submit');
  button.disabled = true;
  try {
    const view = await post<KeyView>('/api/key/restore', {
      phrase: byId<HTMLTextAreaElement>('restore-phrase').value,
      passphrase: byId<HTMLInputElement>('restore-passphrase').value,
      repeat: byId<HTMLInputElement>('restore-repeat').value,
    });
    showError('setup-restore-error', null);
    onOpen(view);
  } catch (error) {
    showError('setup-restore-error', error);
    byId('restore-phrase').focus();
  } finally {
    button.disabled = false;
  }
}

/** A key file read from the person's device (a .seed is one line of at most ~250 bytes). */
async function importKey(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const button = byId<HTMLButtonElement>('import-submit');
  const file = byId<HTMLInputElement>('import-file').files?.[0];
  if (file === undefined || file.size > 4096) {
    showError('setup-import-error', new Error(file === undefined ? 'Key file: choose the .seed file to import' : 'Key file: this file is too large to be a .seed file'));
    return;
  }
  button.disabled = true;
  setText(button, 'Opening the key…');
  try {
    const view = await post<KeyView>('/api/key/import', {
      file: await file.text(),
      passphrase: byId<HTMLInputElement>('import-passphrase').value,
      repeat: byId<HTMLInputElement>('import-repeat').value,
    });
    showError('setup-import-error', null);
    onOpen(view);
  } catch (error) {
    showError('setup-import-error', error);
  } finally {
    button.disabled = false;
    setText(button, 'Import key');
  }
}

async function unlock(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const button = byId<HTMLButtonElement>('unlock-submit');
  const input = byId<HTMLInputElement>('unlock-passphrase');
  button.disabled = true;
  setText(byId('unlock-status'), 'Opening the key (this takes a moment)…');
  try {
    const view = await post<KeyView>('/api/key/unlock', { passphrase: input.value });
    input.value = '';
    showError('unlock-error', null);
    onOpen(view);
  } catch (error) {
    showError('unlock-error', error);
    input.select();
  } finally {
    button.disabled = false;
    setText(byId('unlock-status'), '');
  }
}

/** Shows the first screen (state new) or the unlock screen (state locked). */
export function showKeyScreen(view: KeyView, opened: (view: KeyView) => void): void {
  onOpen = opened;
  show(byId('screen-setup'), view.state === 'new');
  show(byId('screen-unlock'), view.state === 'locked');
  if (view.state === 'new') {
    setText(byId('setup-file'), view.file);
    // The pocket wallet keeps no key unencrypted: its passphrase is not optional.
    const passphrase = view.keptIn === 'browser' ? 'Passphrase' : 'Passphrase (optional)';
    setText(byId('setup-passphrase-label'), passphrase);
    setText(byId('restore-passphrase-label'), passphrase);
    part('choice');
    byId('setup-title').focus();
  } else if (view.state === 'locked') {
    setText(byId('unlock-address'), view.address ?? '');
    setText(byId('unlock-file'), view.file);
    byId('unlock-passphrase').focus();
  }
}

export function hideKeyScreens(): void {
  show(byId('screen-setup'), false);
  show(byId('screen-unlock'), false);
}

export function initKeyScreens(): void {
  byId('setup-create').addEventListener('click', () => void startCreate());
  byId('setup-restore').addEventListener('click', () => {
    part('restore');
    byId('setup-restore-title').focus();
  });
  byId('setup-written').addEventListener('click', wordsWritten);
  byId('setup-words-back').addEventListener('click', () => part('choice'));
  byId('setup-show-again').addEventListener('click', () => void startCreate()); // the same words: the process keeps the new seed
  byId('restore-back').addEventListener('click', () => part('choice'));
  byId('setup-import').addEventListener('click', () => {
    part('import');
    byId('setup-import-title').focus();
  });
  byId('import-back').addEventListener('click', () => part('choice'));
  byId<HTMLFormElement>('setup-import-form').addEventListener('submit', (event) => void importKey(event));
  byId<HTMLFormElement>('setup-confirm').addEventListener('submit', (event) => void create(event));
  byId<HTMLFormElement>('setup-restore-form').addEventListener('submit', (event) => void restore(event));
  byId<HTMLFormElement>('unlock-form').addEventListener('submit', (event) => void unlock(event));
}
