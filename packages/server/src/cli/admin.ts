import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { principalFor } from '../auth/principal.js';
import { createToken, listTokens, presentToken, revokeToken } from '../auth/tokens.js';
import { createUser, findUserByEmail, listUsers, presentUser, updateUser } from '../auth/users.js';
import { schemaState } from '../db/migrations.js';
import { CliError } from './cli-error.js';
import { withLatch } from './with-latch.js';

const CLI_ACTOR = { type: 'system', id: 'cli' } as const;
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The password for a new user: from stdin (--password-stdin) or LATCH_USER_PASSWORD, never a flag (ps would show it). */
function readPassword(fromStdin: boolean | undefined): string | undefined {
  if (fromStdin) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  return process.env.LATCH_USER_PASSWORD || undefined;
}

export function registerAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('Apply the database migrations this version ships')
    .action(async () => {
      const state = await withLatch((ctx) => schemaState(ctx.database), { migrate: true, schemaOnly: true });
      console.log(`schema: ${state.state}${state.state === 'current' ? ` (${state.applied} migrations applied)` : ''}`);
    });

  const user = program.command('user').description('Manage users directly on the database (run on the server host)');
  user
    .command('create')
    .requiredOption('--email <email>')
    .requiredOption('--name <name>')
    .option('--role <role>', 'a role (repeatable): admin, operator, refund_approver, auditor, requester', collect, [])
    .option('--team <team>', 'a team (repeatable)', collect, [])
    .option('--password-stdin', 'read the password from standard input (else LATCH_USER_PASSWORD)')
    .action(async (o: { email: string; name: string; role: string[]; team: string[]; passwordStdin?: boolean }) => {
      const password = readPassword(o.passwordStdin);
      const created = await withLatch((ctx) =>
        ctx.database.write((tx) => createUser(tx, { email: o.email, name: o.name, password, roles: o.role, teams: o.team }, CLI_ACTOR, ctx.teams)),
      );
      console.log(JSON.stringify(presentUser(created), null, 2));
    });
  user
    .command('list')
    .action(async () => {
      const users = await withLatch((ctx) => listUsers(ctx.database.db));
      for (const u of users.map(presentUser)) console.log(`${u.id}  ${u.email.padEnd(32)} ${u.roles.join(',')}${u.disabled ? '  (disabled)' : ''}`);
    });
  user
    .command('set-roles')
    .requiredOption('--email <email>')
    .option('--role <role>', 'a role (repeatable); the user gets exactly these', collect, [])
    .action(async (o: { email: string; role: string[] }) => {
      const updated = await withLatch(async (ctx) => {
        const found = await findUserByEmail(ctx.database.db, o.email);
        if (!found) throw new CliError(`no user ${o.email}`);
        return ctx.database.write((tx) => updateUser(tx, found.id, { roles: o.role }, CLI_ACTOR, ctx.teams));
      });
      console.log(JSON.stringify(presentUser(updated), null, 2));
    });

  const token = program.command('token').description('Manage API tokens directly on the database (run on the server host)');
  token
    .command('create')
    .requiredOption('--user <email>', 'the user the token acts for')
    .requiredOption('--name <name>')
    .option('--scope <scope>', "a permission the token may use (repeatable), or '*' for all of the user's", collect, [])
    .option('--expires <iso>', 'expiry time (ISO 8601)')
    .action(async (o: { user: string; name: string; scope: string[]; expires?: string }) => {
      const expiresAt = o.expires ? new Date(o.expires) : undefined;
      if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new CliError('--expires must be an ISO 8601 time');
      const result = await withLatch(async (ctx) => {
        const found = await findUserByEmail(ctx.database.db, o.user);
        if (!found) throw new CliError(`no user ${o.user}`);
        const scopes = o.scope.length > 0 ? o.scope : ['*'];
        return ctx.database.write((tx) => createToken(tx, found, { name: o.name, scopes, expiresAt }, CLI_ACTOR));
      });
      console.error(`token ${result.row.id} created; it is shown once:`);
      console.log(result.token);
    });
  token
    .command('list')
    .requiredOption('--user <email>')
    .action(async (o: { user: string }) => {
      const tokens = await withLatch(async (ctx) => {
        const found = await findUserByEmail(ctx.database.db, o.user);
        if (!found) throw new CliError(`no user ${o.user}`);
        return listTokens(ctx.database.db, found.id);
      });
      for (const t of tokens.map(presentToken)) console.log(`${t.id}  ${t.name.padEnd(24)} ${t.scopes.join(',')}${t.revoked ? '  (revoked)' : ''}`);
    });
  token
    .command('revoke <id>')
    .action(async (id: string) => {
      await withLatch(async (ctx) => {
        const admin = principalFor({ id: '00000000-0000-7000-8000-000000000000', roles: ['admin'], teams: [] });
        await ctx.database.write((tx) => revokeToken(tx, id, admin, CLI_ACTOR)).catch(() => {
          throw new CliError(`no token ${id}`);
        });
      });
      console.log(`token ${id} revoked`);
    });
}
