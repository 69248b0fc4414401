import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './cli-error.js';

/** A person's login session on one server, as `latch login` keeps it. */
export interface StoredSession {
  readonly secret: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
  readonly user: { readonly id: string; readonly email: string; readonly name: string };
}

interface SessionFile {
  /** The server of the newest login: the default when no --url or LATCH_URL is given. */
  current?: string;
  sessions: Record<string, StoredSession>;
}

/** $XDG_CONFIG_HOME/latch/session.json (else ~/.config/latch/session.json): readable by its owner only. */
export function sessionFilePath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'latch', 'session.json');
}

/** One spelling per server, so `http://host:3000/` and `http://host:3000` share a session. */
export function serverKey(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new CliError(`not a server URL: ${url}`);
  }
}

function readFile(): SessionFile {
  let text: string;
  try {
    text = readFileSync(sessionFilePath(), 'utf8');
  } catch {
    return { sessions: {} };
  }
  try {
    const parsed = JSON.parse(text) as SessionFile;
    return { current: parsed.current, sessions: parsed.sessions ?? {} };
  } catch {
    throw new CliError(`${sessionFilePath()} is not readable JSON: delete it and log in again`);
  }
}

function writeFile(file: SessionFile): void {
  const path = sessionFilePath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync's mode applies only when it creates the file: an older file is tightened too.
  chmodSync(path, 0o600);
}

/** The session for this server, unless there is none or it has expired. */
export function storedSession(url: string): StoredSession | undefined {
  const session = readFile().sessions[serverKey(url)];
  if (!session || Date.parse(session.expiresAt) <= Date.now()) return undefined;
  return session;
}

/** The server of the newest login, if its session is still stored. */
export function currentServer(): string | undefined {
  const file = readFile();
  return file.current && file.sessions[file.current] ? file.current : undefined;
}

export function saveSession(url: string, session: StoredSession): void {
  const file = readFile();
  const key = serverKey(url);
  writeFile({ current: key, sessions: { ...file.sessions, [key]: session } });
}

export function forgetSession(url: string): void {
  const file = readFile();
  const key = serverKey(url);
  const { [key]: _forgotten, ...sessions } = file.sessions;
  if (Object.keys(sessions).length === 0) {
    rmSync(sessionFilePath(), { force: true });
    return;
  }
  writeFile({ current: file.current === key ? undefined : file.current, sessions });
}
