import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/auth/users.js';
import { resultRows } from '../src/db/database.js';
import { bearer, DB_KINDS, PASSWORD, sessionFor, startTestLatch, TEST_CONFIG_DIR, TEST_LOG_KEY, type TestLatch, type TestUser } from './harness.js';
import { runLatch } from './process.js';

const SYSTEM = { type: 'system', id: 'test' } as const;

/** README "Identity": a changed set of roles ends the user's sessions and tokens, by the API and by `latch user set-roles`. */
describe.each(DB_KINDS)('a role change ends sessions and tokens on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(async () => t?.close());

  let made = 0;
  const person = async (roles = ['operator']): Promise<TestUser> => {
    const email = `role-change-${++made}@identity.test`;
    const user = await t.ctx.database.write((tx) => createUser(tx, { email, name: `Person ${made}`, password: PASSWORD, roles, teams: ['refunds'] }, SYSTEM, undefined, t.ctx.roles));
    return { id: user.id, email, token: '' };
  };
  const me = async (headers: Record<string, string>) => (await t.app.inject({ url: '/api/v1/me', headers })).statusCode;
  /** A live session and a `*` token of the user, both working. */
  const credentials = async (user: TestUser) => {
    const session = await sessionFor(t.app, user);
    const minted = await t.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: session, payload: { name: 'mine', scopes: ['*'] } });
    const token = { authorization: `Bearer ${minted.json().token as string}` };
    expect([await me(session), await me(token)]).toEqual([200, 200]);
    return { session, token };
  };
  const patch = (user: TestUser, body: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: bearer(t.users.admin), payload: body });
  const lastUpdate = async (user: TestUser) => {
    const rows = resultRows<{ bytes: string }>(await t.ctx.database.db.execute(sql`select bytes from events where kind = 'user.updated' order by stream, seq desc`));
    return rows.map((r) => JSON.parse(r.bytes) as { data: Record<string, unknown> }).find((e) => e.data.userId === user.id)?.data;
  };

  it('through the API: a new role set ends every session and token at once, and says so on the record', async () => {
    const user = await person();
    const { session, token } = await credentials(user);
    expect((await patch(user, { roles: ['operator', 'auditor'] })).statusCode).toBe(200);
    expect([await me(session), await me(token)]).toEqual([401, 401]);
    expect(await lastUpdate(user)).toMatchObject({ roles: { old: ['operator'], new: ['operator', 'auditor'] }, sessionsEnded: 1, tokensRevoked: 1 });
    // Taking a role away ends them too.
    const again = await credentials(user);
    expect((await patch(user, { roles: ['operator'] })).statusCode).toBe(200);
    expect([await me(again.session), await me(again.token)]).toEqual([401, 401]);
  });

  it('the same roles again (in any order), a new name or new teams leave credentials alone', async () => {
    const user = await person(['operator', 'auditor']);
    const { session, token } = await credentials(user);
    expect((await patch(user, { roles: ['auditor', 'operator'] })).statusCode).toBe(200);
    expect((await patch(user, { name: 'Renamed', teams: ['refunds', 'finance'] })).statusCode).toBe(200);
    expect([await me(session), await me(token)]).toEqual([200, 200]);
    expect(await lastUpdate(user)).not.toHaveProperty('sessionsEnded');
  });

  // The CLI on the database needs the database the server uses: PostgreSQL.
  if (kind === 'postgres') {
    it('through `latch user set-roles` on the database: the running server refuses the old session and token at once', async () => {
    const user = await person();
    const { session, token } = await credentials(user);
    const env = { ...process.env, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_CONFIG_DIR: TEST_CONFIG_DIR, LATCH_LOG: 'off', LATCH_LOG_KEY: TEST_LOG_KEY };
    const cli = runLatch(env, ['user', 'set-roles', '--email', user.email, '--role', 'refund_approver']);
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ id: user.id, roles: ['refund_approver'] });
    expect([await me(session), await me(token)]).toEqual([401, 401]);
    expect(await lastUpdate(user)).toMatchObject({ sessionsEnded: 1, tokensRevoked: 1 });
    }, 60_000);
  }
});
