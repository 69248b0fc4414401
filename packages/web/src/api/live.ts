import { useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { fetchTimelinePage, lastSeqOf, TIMELINE_PAGE, type TimelinePage } from './cases';

/** What the server's live stream says: the case's timeline grew to `seq` with an event of `kind`. */
interface Hint {
  readonly seq?: number;
  readonly kind: string;
}

/** Hints arriving together (a decision and the execution it queued) are handled once. */
const COALESCE_MS = 100;

/**
 * Keeps an open case page current while others act: subscribes to GET /api/v1/cases/{id}/live
 * (server-sent events; the browser reconnects by itself with Last-Event-ID) and, on each hint,
 * refetches through the ordinary API: the case, its actions and notes, the approvals badge, and
 * only the new tail of the timeline, so a 10,000-event page does not reload everything.
 */
export function useCaseLive(id: string): void {
  const client = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/v1/cases/${encodeURIComponent(id)}/live`);
    let pending: Hint[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = Promise.resolve();
    source.onmessage = (message: MessageEvent<string>) => {
      try {
        pending.push(JSON.parse(message.data) as Hint);
      } catch {
        return;
      }
      timer ??= setTimeout(() => {
        timer = undefined;
        const hints = pending;
        pending = [];
        running = running.then(() => refresh(client, id, hints)).catch(() => undefined);
      }, COALESCE_MS);
    };
    return () => {
      source.close();
      clearTimeout(timer);
    };
  }, [client, id]);
}

async function refresh(client: QueryClient, id: string, hints: readonly Hint[]): Promise<void> {
  const timelineKey = ['case', id, 'timeline'];
  const everything = hints.some((h) => h.kind === 'resync' || h.kind === 'subject.erased');
  await Promise.all([
    client.invalidateQueries({ queryKey: ['case', id], predicate: (q) => everything || q.queryKey[2] !== 'timeline' }),
    client.invalidateQueries({ queryKey: ['action'] }),
    client.invalidateQueries({ queryKey: ['approvals'] }),
    everything ? undefined : appendNewEvents(client, timelineKey, id),
  ]);
}

/** Events are append-only: fetch what follows the last one loaded, if the reader has reached the end. */
async function appendNewEvents(client: QueryClient, key: readonly unknown[], id: string): Promise<void> {
  const data = client.getQueryData<InfiniteData<TimelinePage, number>>(key);
  if (!data || data.pages.length === 0) return;
  const last = data.pages[data.pages.length - 1]!;
  if ((last.items?.length ?? 0) >= TIMELINE_PAGE) return; // not at the end: scrolling will load it
  const added: TimelinePage[] = [];
  const params: number[] = [];
  let after = lastSeqOf(data.pages);
  for (;;) {
    const page = await fetchTimelinePage(id, after);
    const items = page.items ?? [];
    if (items.length === 0) break;
    added.push(page);
    params.push(after);
    after = items[items.length - 1]!.seq ?? after;
    if (items.length < TIMELINE_PAGE) break;
  }
  if (added.length === 0) return;
  client.setQueryData<InfiniteData<TimelinePage, number>>(key, (old) => {
    if (!old || lastSeqOf(old.pages) >= after) return old;
    return { pages: [...old.pages, ...added], pageParams: [...old.pageParams, ...params] };
  });
}

/** Keeps the approvals badge current: GET /api/v1/live says when an action on a visible case moved. */
export function useApprovalsLive(enabled: boolean): void {
  const client = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/v1/live');
    let timer: ReturnType<typeof setTimeout> | undefined;
    source.onmessage = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void client.invalidateQueries({ queryKey: ['approvals'] });
      }, COALESCE_MS);
    };
    return () => {
      source.close();
      clearTimeout(timer);
    };
  }, [client, enabled]);
}
