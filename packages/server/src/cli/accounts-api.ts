import type { Command } from 'commander';
import { call, connection } from './api-client.js';
import { CliError } from './cli-error.js';

/** A user and a token as the API (and the direct commands) present them. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  roles: string[];
  teams: string[];
  disabled: boolean;
}
export interface TokenView {
  id: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  revoked: boolean;
  token?: string;
}

/** `latch user` and `latch token` through the API of a running server, as the logged-in person (or token). */
export const accountsApi = {
  async createUser(command: Command, body: { email: string; name: string; password?: string; roles: string[]; teams: string[] }): Promise<UserView> {
    return (await call(connection(command), 'POST', '/api/v1/users', JSON.parse(JSON.stringify(body)))) as UserView;
  },

  async listUsers(command: Command): Promise<UserView[]> {
    return ((await call(connection(command), 'GET', '/api/v1/users')) as { items: UserView[] }).items;
  },

  async setRoles(command: Command, email: string, roles: string[]): Promise<UserView> {
    const conn = connection(command);
    const users = ((await call(conn, 'GET', '/api/v1/users')) as { items: UserView[] }).items;
    const found = users.find((u) => u.email.toLowerCase() === email.toLowerCase());
    if (!found) throw new CliError(`no user ${email}`);
    return (await call(conn, 'PATCH', `/api/v1/users/${found.id}`, { roles })) as UserView;
  },

  /** Through the API a token is always your own: --user, if given, must be you. */
  async createToken(command: Command, o: { user?: string; name: string; scopes: string[]; expiresAt?: Date }): Promise<TokenView> {
    const conn = connection(command);
    await requireSelf(command, o.user);
    const body = { name: o.name, scopes: o.scopes, ...(o.expiresAt ? { expiresAt: o.expiresAt.toISOString() } : {}) };
    return (await call(conn, 'POST', '/api/v1/tokens', body)) as TokenView;
  },

  async listTokens(command: Command, user: string | undefined): Promise<TokenView[]> {
    await requireSelf(command, user);
    return ((await call(connection(command), 'GET', '/api/v1/tokens')) as { items: TokenView[] }).items;
  },

  async revokeToken(command: Command, id: string): Promise<void> {
    await call(connection(command), 'DELETE', `/api/v1/tokens/${id}`);
  },
};

async function requireSelf(command: Command, email: string | undefined): Promise<void> {
  if (email === undefined) return;
  const me = (await call(connection(command), 'GET', '/api/v1/me')) as { user: { email: string } };
  if (me.user.email.toLowerCase() !== email.toLowerCase()) {
    throw new CliError(`through the API you manage your own tokens only (you are ${me.user.email}); for ${email}, run this on the server host without --url`);
  }
}
