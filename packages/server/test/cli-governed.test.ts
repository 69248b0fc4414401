import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DB_KINDS, PASSWORD, refundBody, startTestLatch, type TestLatch } from './harness.js';
import { listen, personAt, runCli } from './cli-support.js';

const refundFields = (amount: number) => ['--field', 'payment_intent=pi_123', '--field', `amount_minor=${amount}`, '--field', 'currency=usd', '--field', 'reason=requested_by_customer'];

describe.each(DB_KINDS)('a governed refund from the command line on %s', (kind) => {
  let t: TestLatch;
  let url: string;
  beforeAll(async () => {
    t = await startTestLatch(kind);
    url = await listen(t);
  });
  afterAll(async () => t?.close());

  it('proposes, refuses the proposer, refuses a stale hash, approves the payload seen, and tells the story', async () => {
    const operator = personAt(url);
    const approver = personAt(url);
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;

    const login = await runCli(['login', '--email', t.users.operator.email, '--password-stdin'], operator, `${PASSWORD}\n`);
    expect(login.status, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^logged in to http:\/\/127\.0\.0\.1:\d+ as operator <operator@test\.example>/);
    const sessionFile = join(operator.XDG_CONFIG_HOME!, 'latch', 'session.json');
    expect(statSync(sessionFile).mode & 0o777).toBe(0o600);

    // Proposed through the session (a cookie-authenticated write: the CLI sends the CSRF token).
    const proposed = await runCli(['action', 'propose', caseId, '--plugin', 'stripe', '--action', 'refund', ...refundFields(50_001), '--json'], operator);
    expect(proposed.status, proposed.stderr).toBe(0);
    const action = JSON.parse(proposed.stdout) as { id: string; status: string; payloadHash: string; input: Record<string, unknown> };
    expect(action).toMatchObject({ status: 'awaiting_approval', input: { amount_minor: 50_001, payment_intent: 'pi_123' } });

    const own = await runCli(['approve', action.id, '--yes'], operator);
    expect(own.status).toBe(2);
    expect(own.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^latch: 403 SELF_APPROVAL_FORBIDDEN: /)]);

    const tokenOnly = await runCli(['approve', action.id, '--yes'], { ...approver, LATCH_TOKEN: t.users.approver.token });
    expect(tokenOnly.status).toBe(1);
    expect(tokenOnly.stderr).toContain(`run \`latch login --url ${url}\` first`);

    expect((await runCli(['login', '--email', t.users.approver.email, '--password-stdin'], approver, PASSWORD)).status).toBe(0);
    const waiting = await runCli(['approvals', '--json'], approver);
    expect(waiting.status, waiting.stderr).toBe(0);
    expect((JSON.parse(waiting.stdout) as { items: { action: { id: string } }[] }).items.map((i) => i.action.id)).toEqual([action.id]);
    const listed = await runCli(['approvals'], approver);
    expect(listed.stdout).toContain(`${action.id}  case ${caseId}  stripe.refund  by operator`);

    // The approver reviews the payload; the proposer then changes it: the hash reviewed is refused.
    const shown = await runCli(['action', 'show', action.id], approver);
    expect(shown.stdout).toContain(`payload (sha256 ${action.payloadHash}):`);
    expect(shown.stdout).toContain('"amount_minor": 50001');
    const edited = await runCli(['action', 'edit', action.id, ...refundFields(60_000), '--json'], operator);
    expect(edited.status, edited.stderr).toBe(0);
    const newHash = (JSON.parse(edited.stdout) as { payloadHash: string }).payloadHash;
    expect(newHash).not.toBe(action.payloadHash);
    const stale = await runCli(['approve', action.id, '--hash', action.payloadHash, '--yes'], approver);
    expect(stale.status).toBe(2);
    expect(stale.stdout).toContain(`the payload now hashes to ${newHash}, not the ${action.payloadHash} you reviewed`);
    expect(stale.stderr).toMatch(/^latch: 409 PAYLOAD_CHANGED: /);

    // Without a terminal and without --yes nothing is sent.
    const unconfirmed = await runCli(['approve', action.id], approver);
    expect([unconfirmed.status, unconfirmed.stderr]).toEqual([1, 'latch: no terminal to confirm on: pass --yes to proceed without asking\n']);

    const approved = await runCli(['approve', action.id, '--yes', '--reason', 'order checked'], approver);
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`payload (sha256 ${newHash}):`);
    expect(approved.stdout).toContain('"amount_minor": 60000');
    expect(approved.stdout).toMatch(new RegExp(`approved action ${action.id} at payload sha256 ${newHash}; it is now \\w+`));
    const decided = (await t.app.inject({ url: `/api/v1/actions/${action.id}`, headers: bearer(t.users.admin) })).json();
    expect(decided.decisions).toMatchObject([{ decision: 'approve', decidedBy: t.users.approver.id, payloadHash: newHash, reason: 'order checked' }]);

    const timeline = await runCli(['case', 'timeline', caseId], approver);
    expect(timeline.status, timeline.stderr).toBe(0);
    const lines = timeline.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}operator +\S/);
    const refusals = lines.filter((line) => line.includes('REFUSED'));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals[0]).toMatch(/ operator +REFUSED: /);
    expect(lines.some((line) => /^\S+ \S+ {2}approver +/.test(line) && !line.includes('REFUSED'))).toBe(true);
    expect(timeline.stdout).not.toContain('\u001b['); // not a terminal: no colour codes
    const json = await runCli(['case', 'timeline', caseId, '--json'], approver);
    const events = (JSON.parse(json.stdout) as { items: { kind: string }[] }).items;
    expect(events.length).toBe(lines.length);
    expect(events.map((e) => e.kind)).toContain('action.approved');

    // Logging out ends the session on the server, not only here.
    const secret = (JSON.parse(readFileSync(join(approver.XDG_CONFIG_HOME!, 'latch', 'session.json'), 'utf8')) as { sessions: Record<string, { secret: string }> }).sessions[url]!.secret;
    expect((await fetch(`${url}/api/v1/me`, { headers: { cookie: `latch_session=${secret}` } })).status).toBe(200);
    const logout = await runCli(['logout', '--json'], approver);
    expect(JSON.parse(logout.stdout)).toEqual({ url, loggedOut: true, endedOnServer: true });
    expect((await fetch(`${url}/api/v1/me`, { headers: { cookie: `latch_session=${secret}` } })).status).toBe(401);
    const after = await runCli(['approvals'], approver);
    expect(after.status).toBe(1);
    expect(after.stderr).toContain('latch login');
  }, 150_000);

  it('denies only with a reason, after showing the payload', async () => {
    const operator = { ...personAt(url), LATCH_TOKEN: t.users.operator.token };
    const approver2 = personAt(url);
    const caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id as string;
    const proposed = await runCli(['action', 'propose', caseId, '--plugin', 'stripe', '--action', 'refund', '--input', JSON.stringify({ payment_intent: 'pi_9', amount_minor: 70_000, currency: 'usd', reason: 'duplicate' }), '--json'], operator);
    expect(proposed.status, proposed.stderr).toBe(0);
    const id = (JSON.parse(proposed.stdout) as { id: string }).id;
    expect((await runCli(['login', '--email', t.users.approver2.email, '--password-stdin'], approver2, PASSWORD)).status).toBe(0);
    const noReason = await runCli(['deny', id, '--yes'], approver2);
    expect(noReason.status).toBe(1);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    const denied = await runCli(['deny', id, '--yes', '--reason', 'duplicate of an earlier refund', '--json'], approver2);
    expect(denied.status, denied.stderr).toBe(0);
    expect(denied.stderr).toContain('"payment_intent": "pi_9"'); // shown on standard error: standard output is the JSON
    expect(JSON.parse(denied.stdout)).toMatchObject({ id, status: 'denied', decisions: [{ decision: 'deny', reason: 'duplicate of an earlier refund' }] });
    const listed = await runCli(['action', 'list', caseId], operator);
    expect(listed.stdout).toMatch(new RegExp(`^${id}  denied`, 'm'));
  }, 150_000);
});
