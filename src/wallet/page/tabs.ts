// The tabs a person expects (Electrum's): the WAI-ARIA tab pattern, so a keyboard moves
// between them with the arrow keys, Home and End, and Tab goes into the open panel.

export const tab_names = ['overview', 'send', 'receive', 'history', 'contacts', 'settings'] as const;
export type TabName = (typeof tab_names)[number];

const listeners: ((name: TabName) => void)[] = [];

function tabOf(name: TabName): HTMLButtonElement {
  return document.getElementById(`tab-${name}`) as HTMLButtonElement;
}

export function selectTab(name: TabName, focus = false): void {
  for (const other of tab_names) {
    const selected = other === name;
    const tab = tabOf(other);
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    (document.getElementById(`panel-${other}`) as HTMLElement).hidden = !selected;
  }
  if (focus) tabOf(name).focus();
  for (const listener of listeners) listener(name);
}

export function onTabSelected(listener: (name: TabName) => void): void {
  listeners.push(listener);
}

export function initTabs(): void {
  tab_names.forEach((name, i) => {
    const tab = tabOf(name);
    tab.addEventListener('click', () => selectTab(name));
    tab.addEventListener('keydown', (event) => {
      const last = tab_names.length - 1;
      const target =
        event.key === 'ArrowRight' ? (i === last ? 0 : i + 1) : event.key === 'ArrowLeft' ? (i === 0 ? last : i - 1) : event.key === 'Home' ? 0 : event.key === 'End' ? last : null;
      if (target === null) return;
      event.preventDefault();
      selectTab(tab_names[target]!, true);
    });
  });
}
