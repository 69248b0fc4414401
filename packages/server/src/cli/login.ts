import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { call, connection, refusal, serverUrl, withServerOptions } from './api-client.js';
import { CliError } from './cli-error.js';
import { printJson, withJson } from './output.js';
import { askHidden } from './prompt.js';
import { forgetSession, saveSession, serverKey, sessionFilePath, storedSession } from './session-store.js';

async function askEmail(): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('say who is logging in: --email <email>');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question('Email: ')).trim();
  } finally {
    rl.close();
  }
}

async function readPassword(fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  return askHidden('Password: ');
}

/** POST /api/v1/auth/login: the session secret comes back as a cookie, the CSRF token in the body. */
async function logIn(url: string, email: string, password: string) {
  let response: Response;
  try {
    response = await fetch(new URL('/api/v1/auth/login', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  } catch (error) {
    throw new CliError(`cannot reach ${url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) throw refusal(response.status, text);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('latch_session='));
  const secret = cookie?.slice('latch_session='.length).split(';')[0];
  if (!secret) throw new CliError(`${url} answered the login without a session cookie: is it a Latch server?`);
  const body = JSON.parse(text) as { user: { id: string; email: string; name: string }; csrfToken: string; expiresAt: string };
  return { secret, csrfToken: body.csrfToken, expiresAt: body.expiresAt, user: { id: body.user.id, email: body.user.email, name: body.user.name } };
}

export function registerLoginCommands(program: Command): void {
  withJson(
    program
      .command('login')
      .description("Log in as a person: asks for the password (no echo) and keeps the session in a file only you can read; approving and denying need it")
      .option('--url <url>', 'the server (default LATCH_URL, else http://127.0.0.1:3000)')
      .option('--email <email>', 'who is logging in (asked on a terminal when missing)')
      .option('--password-stdin', 'read the password from standard input instead of the terminal'),
  ).action(async (o: { email?: string; passwordStdin?: boolean; json?: boolean }, command: Command) => {
    const url = serverKey(serverUrl(command));
    const email = o.email ?? (await askEmail());
    const session = await logIn(url, email, await readPassword(o.passwordStdin));
    saveSession(url, session);
    if (o.json) return printJson({ url, user: session.user, expiresAt: session.expiresAt });
    console.log(`logged in to ${url} as ${session.user.name} <${session.user.email}> until ${session.expiresAt} (session kept in ${sessionFilePath()})`);
  });

  withJson(
    program.command('logout').description('End your login session on the server and forget it here').option('--url <url>', 'the server (default LATCH_URL, else the server of your last login)'),
  ).action(async (o: { json?: boolean }, command: Command) => {
    const url = serverKey(serverUrl(command));
    const session = storedSession(url);
    let ended = false;
    if (session) {
      // Ended on the server first; an expired or already-ended session is forgotten here all the same.
      await call({ url, credentials: { kind: 'session', secret: session.secret, csrfToken: session.csrfToken } }, 'POST', '/api/v1/auth/logout').then(
        () => (ended = true),
        (error: unknown) => {
          if (!(error instanceof CliError) || error.code !== 'UNAUTHENTICATED') throw error;
        },
      );
    }
    forgetSession(url);
    if (o.json) return printJson({ url, loggedOut: session !== undefined, endedOnServer: ended });
    console.log(session ? `logged out of ${url}` : `no login session for ${url}`);
  });

  withJson(
    withServerOptions(program.command('whoami').description('Who the server takes you for (your session or token), with the permissions it carries')),
  ).action(async (o: { json?: boolean }, command: Command) => {
    const conn = connection(command);
    const me = (await call(conn, 'GET', '/api/v1/me')) as { user: { name: string; email: string; roles: string[] }; permissions: string[]; tokenId?: string };
    if (o.json) return printJson({ url: conn.url, user: me.user, permissions: me.permissions, via: conn.credentials.kind, ...(me.tokenId ? { tokenId: me.tokenId } : {}) });
    console.log(`${me.user.name} <${me.user.email}> on ${conn.url} (${conn.credentials.kind === 'session' ? 'login session' : `API token ${me.tokenId}`})`);
    console.log(`roles: ${me.user.roles.join(', ') || 'none'}`);
  });
}
