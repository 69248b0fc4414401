import type { LatchContext } from '../context.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { startSmtpReceiver } from './email/smtp-receiver.js';
import { startImapPoller } from './imap/imap-poller.js';

type Say = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Starts the intake channels the configuration turns on (in `latch serve`, where jobs run). Returns their stop. */
export async function startIntake(ctx: LatchContext & { readonly jobs: JobQueue; readonly say: Say }): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  try {
    if (ctx.config.smtpPort !== undefined) {
      const smtp = await startSmtpReceiver(ctx, ctx.say);
      ctx.intake.smtpPort = smtp.port;
      stops.push(smtp.stop);
      ctx.say('info', `SMTP intake listening on ${ctx.config.host}:${smtp.port} for ${[...ctx.intake.config.addresses.keys()].join(', ') || 'no address (intake.yaml has none)'}`);
    }
    const imap = ctx.intake.config.email.imap;
    if (imap) {
      const poller = startImapPoller(ctx, imap, ctx.say);
      ctx.intake.imap = poller;
      stops.push(poller.stop);
      ctx.say('info', `IMAP intake polling ${imap.user}@${imap.host}:${imap.port}/${imap.mailbox} every ${imap.pollSeconds} s for ${imap.address}`);
    }
  } catch (error) {
    await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
    throw error;
  }
  return async () => {
    await Promise.all(stops.map((stop) => stop().catch(() => undefined)));
  };
}
