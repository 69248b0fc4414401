import pg from 'pg';

/** What a listener reports: a notification's payload, or that it (re)connected and may have missed some. */
export interface ListenHandlers {
  readonly onPayload: (payload: string) => void;
  /** Called when a connection is made after a lost or failed one: hints sent meanwhile were lost. */
  readonly onResumed?: () => void;
}

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/**
 * LISTEN on a dedicated PostgreSQL connection (a pooled one would be handed to others). A lost
 * connection (restart, failover, a pooler's timeout) is never fatal: it reconnects with backoff,
 * for as long as it is not stopped, and says when it is back so listeners can resynchronise.
 * Resolves once the first LISTEN succeeded, or keeps retrying in the background if it did not.
 */
export async function listenPostgres(url: string, channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = FIRST_DELAY_MS;
  // Hints may have been lost while no connection listened (after a drop, or a first attempt that failed).
  let missed = false;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, keepAlive: true, application_name: 'latch-live' });
    // An unheard 'error' would be an uncaught exception; the 'end' that follows schedules the retry.
    next.on('error', () => undefined);
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.onPayload(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch {
      await next.end().catch(() => undefined);
      missed = true;
      retry();
      return;
    }
    if (stopped) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    delay = FIRST_DELAY_MS;
    next.once('end', () => {
      if (client === next) client = undefined;
      missed = true;
      retry();
    });
    if (missed) handlers.onResumed?.();
    missed = false;
  };

  const retry = (): void => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  };

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    const open = client;
    client = undefined;
    await open?.end().catch(() => undefined);
  };
}
