import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { LatchContext } from '../../context.js';
import { receiveEmail } from './receive-email.js';

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/**
 * The SMTP receiver (`smtp-server`): recipients must be intake addresses (550 otherwise), messages
 * over the size limit are refused (552), and a message is answered `250` only after it is committed
 * (a case, a follow-up or a quarantined item). A failure to commit is a `451`: the sender retries.
 */
export async function startSmtpReceiver(ctx: Pick<LatchContext, 'database' | 'caseTypes' | 'intake' | 'config'>, say: (level: 'info' | 'warn' | 'error', message: string) => void): Promise<{ port: number; stop: () => Promise<void> }> {
  const settings = ctx.intake.config.email;
  const addresses = ctx.intake.config.addresses;
  const tls = settings.tls ? { key: readFileSync(settings.tls.key), cert: readFileSync(settings.tls.cert) } : undefined;
  const server = new SMTPServer({
    name: settings.hostname,
    banner: 'Latch intake',
    size: settings.limits.maxMessageBytes,
    authOptional: true,
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls ?? {}),
    maxClients: 200,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (addresses.has(address.address.trim().toLowerCase())) return callback();
      callback(smtpError(550, 'No such mailbox here'));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', () => callback(smtpError(451, 'Reading the message failed; try again')));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, `Message exceeds the limit of ${settings.limits.maxMessageBytes} bytes`));
        const recipient = session.envelope.rcptTo.map((r) => r.address.trim().toLowerCase()).find((a) => addresses.has(a))!;
        const mailFrom = session.envelope.mailFrom;
        receiveEmail(ctx, { raw: Buffer.concat(chunks), address: recipient, envelopeFrom: mailFrom ? mailFrom.address : undefined }).then(
          () => callback(),
          (error: unknown) => {
            say('error', `smtp: a message could not be stored (${(error as Error)?.name ?? 'error'}); answered 451`);
            callback(smtpError(451, 'The message could not be stored; try again later'));
          },
        );
      });
    },
  });
  server.on('error', (error) => say('warn', `smtp: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(ctx.config.smtpPort ?? 0, ctx.config.host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
