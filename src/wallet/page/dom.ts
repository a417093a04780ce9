// Small DOM helpers. Everything the page shows that came from the network or a person is
// set with textContent (or an attribute), never parsed as HTML.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

export function setText(element: HTMLElement, text: string): void {
  element.textContent = text;
}

export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** A new element with text content and attributes. */
export function make<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', attributes: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== '') element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/** A shortened address or txid for tight places; the whole text stays in the title. */
export function shorten(text: string, head = 12, tail = 6): string {
  return text.length <= head + tail + 1 ? text : `${text.slice(0, head)}…${text.slice(-tail)}`;
}

/**
 * Copies text to the clipboard. Where the browser does not allow it (a page not served
 * from loopback is not a secure context), the text is selected for Ctrl+C instead.
 */
export async function copyText(text: string, fallback: HTMLElement, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    setText(status, 'Copied.');
  } catch {
    if (fallback instanceof HTMLInputElement || fallback instanceof HTMLTextAreaElement) fallback.select(); // a field's text is its value, not its contents
    else {
      const range = document.createRange();
      range.selectNodeContents(fallback);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    }
    setText(status, 'Selected: press Ctrl+C (or ⌘C) to copy.');
  }
  window.setTimeout(() => setText(status, ''), 4000);
}

/** Saves `text` as a file named `name` (the browser's download), from memory: nothing is fetched. */
export function saveFile(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = make('a', '', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The time in the person's own zone and language; the ISO form stays in a title. */
export function localTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}
