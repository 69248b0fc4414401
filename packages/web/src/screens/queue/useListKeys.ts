import { useEffect } from 'react';

interface Keys {
  readonly count: number;
  readonly selected: number;
  readonly select: (index: number) => void;
  readonly open: (index: number) => void;
  readonly focusSearch: () => void;
}

const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** j/k move through the list, Enter opens, `/` jumps to search: keys a person working a queue all day expects. */
export function useListKeys({ count, selected, select, open, focusSearch }: Keys): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.metaKey || event.ctrlKey || event.altKey || typing(event.target)) return;
      if (event.key === '/') {
        event.preventDefault();
        focusSearch();
      } else if (event.key === 'j' && count > 0) {
        select(Math.min(selected + 1, count - 1));
      } else if (event.key === 'k' && count > 0) {
        select(Math.max(selected - 1, 0));
      } else if (event.key === 'Enter' && selected >= 0 && selected < count && !(event.target instanceof HTMLAnchorElement || event.target instanceof HTMLButtonElement)) {
        open(selected);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [count, selected, select, open, focusSearch]);
}
