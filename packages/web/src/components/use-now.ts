import { useSyncExternalStore } from 'react';

/** How often relative dates and "overdue" move on without a reload. */
const TICK_MS = 30_000;

let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;
const listeners = new Set<() => void>();

/** One clock for the whole page, however many dates it shows (a long timeline has hundreds). */
function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const notify of listeners) notify();
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time, the same for every component, refreshed every TICK_MS. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
