import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A mail relay on a free port that keeps what it receives, or refuses every sender while `failing`. */
export async function startMailRelay() {
  const received: { to: string[]; raw: string }[] = [];
  const state = { failing: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom: (_address, _session, callback) => {
      if (!state.failing) return callback();
      const refusal = Object.assign(new Error('mailbox unavailable'), { responseCode: 451 });
      callback(refusal);
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, received, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export type MailRelay = Awaited<ReturnType<typeof startMailRelay>>;
