import { principalFor } from '../auth/principal.js';
import { SHIPPED_ROLES } from '../roles/role-set.js';
import { createToken, listTokens, presentToken, revokeToken } from '../auth/tokens.js';
import { createUser, findUserByEmail, listUsers, presentUser, updateUser } from '../auth/users.js';
import type { LatchContext } from '../context.js';
import { schemaState } from '../db/migrations.js';
import type { TokenView, UserView } from './accounts-api.js';
import { CliError } from './cli-error.js';
import { withLatch } from './with-latch.js';

const CLI_ACTOR = { type: 'system', id: 'cli' } as const;

async function findUserOrFail(ctx: LatchContext, email: string) {
  const found = await findUserByEmail(ctx.database.db, email);
  if (!found) throw new CliError(`no user ${email}`);
  return found;
}

/** `latch user` and `latch token` directly on the database (the server's host), as the system actor `cli`. */
export const accountsDb = {
  migrate: () => withLatch((ctx) => schemaState(ctx.database), { migrate: true, schemaOnly: true }),

  createUser: async (input: { email: string; name: string; password?: string; roles: string[]; teams: string[] }): Promise<UserView> =>
    presentUser(await withLatch((ctx) => ctx.database.write((tx) => createUser(tx, input, CLI_ACTOR, ctx.teams, ctx.roles)))),

  listUsers: async (): Promise<UserView[]> => (await withLatch((ctx) => listUsers(ctx.database.db))).map(presentUser),

  setRoles: async (email: string, roles: string[]): Promise<UserView> =>
    presentUser(
      await withLatch(async (ctx) => {
        const found = await findUserOrFail(ctx, email);
        return ctx.database.write((tx) => updateUser(tx, found.id, { roles }, CLI_ACTOR, ctx.teams, ctx.roles));
      }),
    ),

  createToken: async (email: string, input: { name: string; scopes: string[]; expiresAt?: Date }): Promise<TokenView> => {
    const result = await withLatch(async (ctx) => {
      const found = await findUserOrFail(ctx, email);
      return ctx.database.write((tx) => createToken(tx, found, input, CLI_ACTOR, undefined, ctx.roles));
    });
    return { ...presentToken(result.row), token: result.token };
  },

  listTokens: async (email: string): Promise<TokenView[]> =>
    (await withLatch(async (ctx) => listTokens(ctx.database.db, (await findUserOrFail(ctx, email)).id))).map(presentToken),

  revokeToken: (id: string): Promise<void> =>
    withLatch(async (ctx) => {
      const admin = principalFor({ id: '00000000-0000-7000-8000-000000000000', roles: ['admin'], teams: [] }, SHIPPED_ROLES);
      await ctx.database.write((tx) => revokeToken(tx, id, admin, CLI_ACTOR)).catch(() => {
        throw new CliError(`no token ${id}`);
      });
    }),
};
