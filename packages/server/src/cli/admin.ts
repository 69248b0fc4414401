import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { accountsApi, type TokenView, type UserView } from './accounts-api.js';
import { namesServer, withServerOptions } from './api-client.js';
import { CliError } from './cli-error.js';
import { printJson, withJson } from './output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** The direct-database implementation, loaded only when used: the server's modules are slow to load. */
const direct = async () => (await import('./accounts-db.js')).accountsDb;

const WHERE = `
Through the API (as your \`latch login\` session or --token) when a server is named: --url, LATCH_URL,
or a stored login. Otherwise directly on the database (run on the server host; the embedded
database only while its server is stopped).`;

/** The password for a new user: from stdin (--password-stdin) or LATCH_USER_PASSWORD, never a flag (ps would show it). */
function readPassword(fromStdin: boolean | undefined): string | undefined {
  if (fromStdin) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  return process.env.LATCH_USER_PASSWORD || undefined;
}

const userLine = (u: UserView) => `${u.id}  ${u.email.padEnd(32)} ${u.roles.join(',')}${u.disabled ? '  (disabled)' : ''}`;
const tokenLine = (t: TokenView) => `${t.id}  ${t.name.padEnd(24)} ${t.scopes.join(',')}${t.revoked ? '  (revoked)' : ''}`;
const AS_JSON_ANYWAY = 'print JSON (this command prints the user as JSON either way)';

export function registerAdminCommands(program: Command): void {
  withJson(program.command('migrate').description('Apply the database migrations this version ships')).action(async (o: { json?: boolean }) => {
    const state = await (await direct()).migrate();
    if (o.json) return printJson(state);
    console.log(`schema: ${state.state}${state.state === 'current' ? ` (${state.applied} migrations applied)` : ''}`);
  });

  const user = withServerOptions(program.command('user').description('Manage users: through the API of a running server, or directly on the database')).addHelpText('after', WHERE);
  withJson(user.command('create').description('Create a user; prints it as JSON'), AS_JSON_ANYWAY)
    .requiredOption('--email <email>')
    .requiredOption('--name <name>')
    .option('--role <role>', 'a role (repeatable) defined in roles.yaml; shipped: admin, operator, refund_approver, auditor, requester', collect, [])
    .option('--team <team>', 'a team (repeatable)', collect, [])
    .option('--password-stdin', 'read the password from standard input (else LATCH_USER_PASSWORD)')
    .action(async (o: { email: string; name: string; role: string[]; team: string[]; passwordStdin?: boolean }, command: Command) => {
      const input = { email: o.email, name: o.name, password: readPassword(o.passwordStdin), roles: o.role, teams: o.team };
      printJson(namesServer(command) ? await accountsApi.createUser(command, input) : await (await direct()).createUser(input));
    });
  withJson(user.command('list').description('Every user, one line each')).action(async (o: { json?: boolean }, command: Command) => {
    const users = namesServer(command) ? await accountsApi.listUsers(command) : await (await direct()).listUsers();
    if (o.json) return printJson({ items: users });
    for (const u of users) console.log(userLine(u));
  });
  withJson(user.command('set-roles').description('Give a user exactly these roles; prints the user as JSON'), AS_JSON_ANYWAY)
    .requiredOption('--email <email>')
    .option('--role <role>', 'a role (repeatable); the user gets exactly these', collect, [])
    .action(async (o: { email: string; role: string[] }, command: Command) => {
      printJson(namesServer(command) ? await accountsApi.setRoles(command, o.email, o.role) : await (await direct()).setRoles(o.email, o.role));
    });

  const token = withServerOptions(program.command('token').description("Manage API tokens: your own through the API of a running server, or anyone's directly on the database")).addHelpText('after', WHERE);
  withJson(token.command('create').description('Create an API token; the secret is printed once, on its own line (or as "token" with --json)'))
    .option('--user <email>', 'the user the token acts for (required on the database; through the API, only yourself)')
    .requiredOption('--name <name>')
    .option('--scope <scope>', "a permission the token may use (repeatable), or '*' for all of the user's", collect, [])
    .option('--expires <iso>', 'expiry time (ISO 8601)')
    .action(async (o: { user?: string; name: string; scope: string[]; expires?: string; json?: boolean }, command: Command) => {
      const expiresAt = o.expires ? new Date(o.expires) : undefined;
      if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new CliError('--expires must be an ISO 8601 time');
      const input = { name: o.name, scopes: o.scope.length > 0 ? o.scope : ['*'], expiresAt };
      let created: TokenView;
      if (namesServer(command)) {
        created = await accountsApi.createToken(command, { user: o.user, ...input });
      } else {
        if (!o.user) throw new CliError('on the database, say whose token it is: --user <email>');
        created = await (await direct()).createToken(o.user, input);
      }
      if (o.json) return printJson(created);
      console.error(`token ${created.id} created; it is shown once:`);
      console.log(created.token);
    });
  withJson(token.command('list').description('API tokens (never their secrets), one line each'))
    .option('--user <email>', 'whose tokens (required on the database; through the API, yours)')
    .action(async (o: { user?: string; json?: boolean }, command: Command) => {
      let tokens: TokenView[];
      if (namesServer(command)) {
        tokens = await accountsApi.listTokens(command, o.user);
      } else {
        if (!o.user) throw new CliError('on the database, say whose tokens: --user <email>');
        tokens = await (await direct()).listTokens(o.user);
      }
      if (o.json) return printJson({ items: tokens });
      for (const t of tokens) console.log(tokenLine(t));
    });
  withJson(token.command('revoke <id>').description('Revoke a token (and every token created with it)')).action(async (id: string, o: { json?: boolean }, command: Command) => {
    if (namesServer(command)) await accountsApi.revokeToken(command, id);
    else await (await direct()).revokeToken(id);
    if (o.json) return printJson({ id, revoked: true });
    console.log(`token ${id} revoked`);
  });
}
