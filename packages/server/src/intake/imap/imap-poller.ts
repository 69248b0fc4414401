import type { ImapFlow } from 'imapflow';
import { readSecret, type ImapSettings } from '../intake-config.js';
import { pollMailbox, type IntakeCtx, type PollReport } from './poll-mailbox.js';

type Say = (level: 'info' | 'warn' | 'error', message: string) => void;

/** A running IMAP poller. */
export interface ImapPoller {
  /** Polls now (after any poll under way) and resolves with what it did, or the failure as reported. */
  pollNow(): Promise<PollReport | { readonly failed: string }>;
  stop(): Promise<void>;
}

/** Failures are reported at most this often; the ones in between are counted into the next report. */
export const REPORT_EVERY_MS = 60_000;
const MAX_BACKOFF_MS = 15 * 60_000;

/**
 * Polls the configured mailbox every `pollSeconds`. A failure (unreachable, login refused, mailbox
 * missing) backs off, doubling the wait up to 15 minutes, and is reported once a minute at most,
 * never with the password; the first poll that works again says so.
 */
export function startImapPoller(ctx: IntakeCtx, settings: ImapSettings, say: Say): ImapPoller {
  const password = readSecret(settings.password, '/email/imap/password');
  const where = `${settings.user}@${settings.host}:${settings.port}/${settings.mailbox}`;
  let failures = 0;
  let lastReport = -Infinity;
  let unreported = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let client: ImapFlow | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const pollOnce = async (): Promise<PollReport | { failed: string }> => {
    try {
      const report = await pollMailbox(ctx, settings, password, (c) => (client = c));
      if (failures > 0) say('info', `imap: ${where} polled again after ${failures} failed attempt(s)`);
      failures = 0;
      unreported = 0;
      lastReport = -Infinity;
      if (report.unseen > 0) say('info', `imap: ${where}: ${report.created} new case(s), ${report.threaded} follow-up(s), ${report.quarantined} quarantined, ${report.duplicates} already received`);
      return report;
    } catch (error) {
      failures++;
      const failed = describeFailure(error, password);
      if (!stopped) reportFailure(failed);
      return { failed };
    }
  };

  const reportFailure = (failed: string) => {
    const now = Date.now();
    if (now - lastReport < REPORT_EVERY_MS) {
      unreported++;
      return;
    }
    const since = unreported > 0 ? ` (${unreported} more failure(s) since the last report)` : '';
    say('warn', `imap: polling ${where} failed: ${failed}; retrying in ${Math.round(delay() / 1000)} s${since}`);
    lastReport = now;
    unreported = 0;
  };

  const delay = () => Math.min(settings.pollSeconds * 1000 * 2 ** Math.max(0, failures - 1), Math.max(settings.pollSeconds * 1000, MAX_BACKOFF_MS));

  const serialised = () => {
    const next = running.then(pollOnce);
    running = next.catch(() => undefined);
    return next;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void serialised().finally(schedule), failures > 0 ? delay() : settings.pollSeconds * 1000);
    timer.unref();
  };
  timer = setTimeout(() => void serialised().finally(schedule), 0);
  timer.unref();

  return {
    pollNow: serialised,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      client?.close();
      await running;
    },
  };
}

/** A failure in words an administrator can act on; the server's text is kept, the password never. */
function describeFailure(error: unknown, password: string): string {
  const e = error as { code?: string; authenticationFailed?: boolean; responseText?: string; serverResponseCode?: string; message?: string };
  let text: string;
  if (e?.authenticationFailed) text = `login refused${e.responseText ? ` (${e.responseText})` : ''}`;
  else if (e?.code && /^E[A-Z]+$/.test(e.code)) text = `cannot connect (${e.code})`;
  else text = e?.responseText ?? e?.message ?? String(error);
  return text.split(password).join('[password]').slice(0, 300);
}
