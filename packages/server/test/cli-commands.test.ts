import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { timelineLines, type TimelineItem } from '../src/cli/timeline.js';
import { bearer, PASSWORD, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';
import { listen, personAt, runCli, runOnTerminal } from './cli-support.js';

/** Every command in the tree, with its path (`latch action propose`). */
function walk(command: Command, path: string[] = []): { path: string; command: Command }[] {
  const here = [...path, command.name()];
  return [{ path: here.join(' '), command }, ...command.commands.flatMap((child) => walk(child, here))];
}

describe('the latch command tree', () => {
  const commands = walk(buildProgram());

  it('explains every command and subcommand in its help', () => {
    expect(commands.length).toBeGreaterThan(40);
    const undescribed = commands.filter(({ command }) => !command.description().trim()).map(({ path }) => path);
    expect(undescribed).toEqual([]);
  });

  it('takes --json on every command that does something', () => {
    const leaves = commands.filter(({ command }) => command.commands.length === 0);
    const withoutJson = leaves.filter(({ command }) => !command.options.some((option) => option.long === '--json')).map(({ path }) => path);
    expect(withoutJson).toEqual([]);
  });

  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runCli(['--version'], {});
    expect([run.status, run.stdout]).toEqual([0, `${version}\n`]);
  });
});

describe('the timeline for a person', () => {
  const refusal: TimelineItem = {
    id: 'e2',
    seq: 2,
    at: '2026-01-02T03:04:05.678Z',
    kind: 'attempt.blocked',
    actor: { type: 'user', id: 'u1' },
    presentation: { summary: 'Refused: Ana Ruiz may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)', actor: { kind: 'user', name: 'Ana Ruiz' }, tone: 'refusal' },
  };
  const note: TimelineItem = { id: 'e1', seq: 1, at: '2026-01-02T03:00:00.000Z', kind: 'note.added', actor: { type: 'user', id: 'u1' }, presentation: { summary: 'Ana Ruiz added a note', actor: { kind: 'user', name: 'Ana Ruiz' } } };

  it('marks a refusal in words, and in red only when colour is on', () => {
    expect(timelineLines([note, refusal], false, new Map([['e1', 'called\u001b[2J the customer']]))).toEqual([
      '2026-01-02 03:00:00Z  Ana Ruiz  added a note: "called [2J the customer"',
      '2026-01-02 03:04:05Z  Ana Ruiz  REFUSED: may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)',
    ]);
    expect(timelineLines([refusal], true)).toEqual(['\u001b[1;31m2026-01-02 03:04:05Z  Ana Ruiz  REFUSED: may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)\u001b[0m']);
  });

  it('keeps what the server says about the actor ("(API token)") in the actor column', () => {
    const byToken = { ...note, presentation: { summary: 'Cli (API token) added a note', actor: { kind: 'token', name: 'Cli' } } };
    expect(timelineLines([byToken, refusal], false)).toEqual([
      '2026-01-02 03:00:00Z  Cli (API token)  added a note',
      '2026-01-02 03:04:05Z  Ana Ruiz         REFUSED: may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)',
    ]);
  });

  it('falls back to the event kind and the refusal code when the server presents nothing', () => {
    const bare = { ...refusal, presentation: undefined, outcome: 'refused' as const, data: { code: 'ROLE_REQUIRED' } };
    expect(timelineLines([bare], false)).toEqual(['2026-01-02 03:04:05Z  user:u1  REFUSED: attempt.blocked (ROLE_REQUIRED)']);
  });
});

describe('latch user and latch token through the API of a running server', () => {
  let t: TestLatch;
  let url: string;
  beforeAll(async () => {
    t = await startTestLatch('pglite');
    url = await listen(t);
  });
  afterAll(async () => t?.close());

  it('creates and lists users and tokens as the logged-in admin, and revokes a token', async () => {
    const admin = personAt(url);
    expect((await runCli(['login', '--email', t.users.admin.email, '--password-stdin'], admin, PASSWORD)).status).toBe(0);
    const whoami = await runCli(['whoami', '--json'], admin);
    expect(JSON.parse(whoami.stdout)).toMatchObject({ url, via: 'session', user: { email: t.users.admin.email } });

    const created = await runCli(['user', 'create', '--email', 'nia@cli.example', '--name', 'Nia', '--role', 'operator', '--team', 'refunds', '--password-stdin'], admin, 'a long enough password\n');
    expect(created.status, created.stderr).toBe(0);
    const nia = JSON.parse(created.stdout) as { id: string };
    const fromApi = (await t.app.inject({ url: `/api/v1/users/${nia.id}`, headers: bearer(t.users.admin) })).json();
    expect(fromApi).toMatchObject({ email: 'nia@cli.example', name: 'Nia', roles: ['operator'], teams: ['refunds'] });
    const listed = await runCli(['user', 'list', '--json'], admin);
    expect((JSON.parse(listed.stdout) as { items: { email: string }[] }).items.map((u) => u.email)).toContain('nia@cli.example');
    const promoted = await runCli(['user', 'set-roles', '--email', 'nia@cli.example', '--role', 'operator', '--role', 'auditor'], admin);
    expect(JSON.parse(promoted.stdout)).toMatchObject({ id: nia.id, roles: ['operator', 'auditor'] });

    const token = await runCli(['token', 'create', '--name', 'nightly report', '--scope', 'case:read', '--json'], admin);
    expect(token.status, token.stderr).toBe(0);
    const made = JSON.parse(token.stdout) as { id: string; token: string; scopes: string[] };
    expect(made.scopes).toEqual(['case:read']);
    const asToken = { authorization: `Bearer ${made.token}` };
    expect((await fetch(`${url}/api/v1/me`, { headers: asToken })).status).toBe(200);
    const tokens = await runCli(['token', 'list', '--json'], admin);
    expect((JSON.parse(tokens.stdout) as { items: { id: string; revoked: boolean }[] }).items).toContainEqual(expect.objectContaining({ id: made.id, revoked: false }));
    const othersToken = await runCli(['token', 'create', '--user', 'nia@cli.example', '--name', 'x'], admin);
    expect(othersToken.status).toBe(1);
    expect(othersToken.stderr).toContain('through the API you manage your own tokens only');
    const revoked = await runCli(['token', 'revoke', made.id], admin);
    expect([revoked.status, revoked.stdout]).toEqual([0, `token ${made.id} revoked\n`]);
    expect((await fetch(`${url}/api/v1/me`, { headers: asToken })).status).toBe(401);
  }, 120_000);

  it('refuses what the person may not do with the API stable code, on one line, as JSON with --json', async () => {
    const operator = personAt(url);
    expect((await runCli(['login', '--email', t.users.operator.email, '--password-stdin'], operator, PASSWORD)).status).toBe(0);
    const refused = await runCli(['user', 'create', '--email', 'x@cli.example', '--name', 'X', '--role', 'admin'], operator);
    expect([refused.status, refused.stdout]).toEqual([2, '']);
    expect(refused.stderr).toMatch(/^latch: 403 PERMISSION_DENIED: [^\n]*\n$/);
    const asJson = await runCli(['user', 'create', '--email', 'x@cli.example', '--name', 'X', '--role', 'admin', '--json'], operator);
    expect(asJson.status).toBe(2);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    const wrongPassword = await runCli(['login', '--email', t.users.operator.email, '--password-stdin'], personAt(url), 'not the password');
    expect(wrongPassword.status).toBe(2);
    expect(wrongPassword.stderr).toMatch(/^latch: 401 INVALID_CREDENTIALS: /);
  }, 120_000);
});

describe('latch on a terminal', () => {
  let t: TestLatch;
  let url: string;
  beforeAll(async () => {
    t = await startTestLatch('pglite');
    url = await listen(t);
  });
  afterAll(async () => t?.close());

  it('asks for the password without echoing it, and asks before approving', async () => {
    const approver = personAt(url);
    const login = await runOnTerminal(['login', '--email', t.users.approver.email], approver, [['Password: ', PASSWORD]]);
    expect(login.status, login.output).toBe(0);
    expect(login.output).toContain('logged in to');
    expect(login.output).not.toContain(PASSWORD);

    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;
    const input = { payment_intent: 'pi_123', amount_minor: 80_000, currency: 'usd', reason: 'duplicate' };
    const action = (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input } })).json();
    const declined = await runOnTerminal(['approve', action.id], approver, [['[y/N] ', 'n']]);
    expect(declined.status).toBe(1);
    expect(declined.output).toContain(`payload (sha256 ${action.payloadHash}):`);
    expect(declined.output).toContain('latch: not approved: nothing was sent');
    expect((await t.app.inject({ url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.admin) })).json().decisions).toEqual([]);
    const approved = await runOnTerminal(['approve', action.id], approver, [['[y/N] ', 'y']]);
    expect(approved.status, approved.output).toBe(0);
    expect(approved.output).toContain(`approved action ${action.id} at payload sha256 ${action.payloadHash}`);
  }, 120_000);
});

describe('latch erase without --yes', () => {
  it('is a dry run that exits 0 and says what would be erased', async () => {
    const t = await startTestLatch('postgres');
    try {
      const id = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;
      const env = { LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG: 'off', LATCH_LOG_KEY: TEST_LOG_KEY };
      const dry = await runCli(['erase', '--subject', 'jane@customer.example'], env);
      expect([dry.status, dry.stderr]).toEqual([0, 'nothing erased: run again with --yes to erase\n']);
      expect(dry.stdout).toContain(`  case ${id}`);
      const json = await runCli(['erase', '--subject', 'jane@customer.example', '--json'], env);
      expect(json.status).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, erasureId: null, cases: [id] });
    } finally {
      await t.close();
    }
  }, 120_000);
});
