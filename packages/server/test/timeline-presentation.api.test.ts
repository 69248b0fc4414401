import { createHash } from 'node:crypto';
import { parseSignerKeys, parseTrustFile, verifyBundle } from '@latch/core';
import { unzipSync, zipSync } from 'fflate';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { runLatch } from './process.js';
import { bearer, DB_KINDS, PASSWORD, refundBody, sessionFor, startTestLatch, TEST_LOG_KEY, type TestLatch, type TestUser } from './harness.js';

interface Item {
  seq: number;
  kind: string;
  data: Record<string, unknown>;
  bytes?: string;
  presentation: { summary: string; actor: { kind: string; name: string; email?: string }; amounts?: { field: string; minor: number; currency: string; text: string }[]; tone?: string };
}

describe.each(DB_KINDS)('the timeline as people read it, on %s', (kind) => {
  let t: TestLatch;
  let auditor: TestUser;
  let caseId: string;
  let actionId: string;

  const timeline = async (user: TestUser, query = '') => {
    const res = await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline${query}`, headers: bearer(user) });
    expect(res.statusCode).toBe(200);
    return res.json().items as Item[];
  };
  const byKind = (items: Item[], kind: string) => items.find((e) => e.kind === kind)!;

  beforeAll(async () => {
    t = await startTestLatch(kind);
    const system = { type: 'system', id: 'test' } as const;
    // An auditor reads every case but may not list users: names, never emails.
    const user = await t.ctx.database.write((tx) => createUser(tx, { email: 'auditor@test.example', name: 'Ada Auditor', password: PASSWORD, roles: ['auditor'], teams: [] }, system));
    const { token } = await t.ctx.database.write((tx) => createToken(tx, user, { name: 'test', scopes: ['*'] }, system));
    auditor = { id: user.id, email: user.email, token };

    const operator = await sessionFor(t.app, t.users.operator);
    const approver = await sessionFor(t.app, t.users.approver);
    caseId = (await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() })).json().id;
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${caseId}`, headers: { ...operator, 'if-match': '"1"' }, payload: { assigneeId: t.users.approver.id } });
    expect(patched.statusCode).toBe(200);
    const input = { payment_intent: 'pi_123', amount_minor: 61200, currency: 'usd', reason: 'duplicate' };
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: operator, payload: { plugin: 'stripe', action: 'refund', input } });
    expect(proposed.statusCode).toBe(201);
    actionId = proposed.json().id;
    const payloadHash = proposed.json().payloadHash;
    const self = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${actionId}/decisions`, headers: operator, payload: { decision: 'approve', payloadHash } });
    expect(self.json().error.code).toBe('SELF_APPROVAL_FORBIDDEN');
    const approved = await t.app.inject({ method: 'POST', url: `/api/v1/actions/${actionId}/decisions`, headers: approver, payload: { decision: 'approve', payloadHash } });
    expect(approved.statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  it('says in one line who did what, with names and amounts', async () => {
    const items = await timeline(t.users.admin);
    const short = actionId.slice(-8);
    expect(items.map((e) => e.presentation.summary)).toEqual([
      'operator (API token) opened a refund case in queue refunds: USD 49.99',
      'operator assigned the case to approver',
      'operator proposed Refund through Stripe: USD 612.00 on pi_123',
      'Refused: operator may not approve their own proposal (SELF_APPROVAL_FORBIDDEN)',
      // The step's name is the case type's to choose.
      expect.stringMatching(new RegExp(`^approver approved action ${short} at step “[^”]+”$`)),
      `Action ${short} is approved: every required step is done`,
    ]);
    expect(byKind(items, 'action.proposed').presentation.amounts).toEqual([{ field: 'input.amount_minor', minor: 61200, currency: 'USD', text: 'USD 612.00' }]);
    expect(byKind(items, 'case.created').presentation.amounts).toEqual([{ field: 'fields.amount_minor', minor: 4999, currency: 'USD', text: 'USD 49.99' }]);
    expect(byKind(items, 'note.added')).toBeUndefined();
  });

  it('marks the refused attempt, and only it, with the refusal tone', async () => {
    const items = await timeline(t.users.admin);
    expect(items.filter((e) => e.presentation.tone === 'refusal').map((e) => e.kind)).toEqual(['attempt.blocked']);
    expect(items.every((e) => e.presentation.tone === 'refusal' || e.presentation.tone === 'normal')).toBe(true);
  });

  it('shows emails to readers who may list users, and to no one else', async () => {
    const asAdmin = byKind(await timeline(t.users.admin), 'approval.granted').presentation.actor;
    expect(asAdmin).toEqual({ kind: 'user', name: 'approver', email: t.users.approver.email });
    const items = await timeline(auditor);
    expect(byKind(items, 'approval.granted').presentation.actor).toEqual({ kind: 'user', name: 'approver' });
    expect(JSON.stringify(items.map((e) => e.presentation))).not.toContain('@test.example');
    expect(byKind(items, 'action.approved').presentation.actor).toEqual({ kind: 'system', name: 'The approval policy' });
  });

  it('keeps every existing field, and the bytes only when asked', async () => {
    const plain = await timeline(t.users.admin, '?after=2&limit=2');
    expect(plain.map((e) => e.seq)).toEqual([3, 4]);
    expect(plain[0]).toMatchObject({ kind: 'action.proposed', data: { plugin: 'stripe', action: 'refund' }, hash: expect.any(String), prevHash: expect.any(String) });
    expect(plain[0]!.bytes).toBeUndefined();
    const withBytes = await timeline(t.users.admin, '?after=2&limit=2&bytes=true');
    expect(JSON.parse(withBytes[0]!.bytes!)).toMatchObject({ kind: 'action.proposed', seq: 3 });
    expect(withBytes[0]!.presentation).toEqual(plain[0]!.presentation);
  });

  it('names an erased person without their name, and their email is gone', async () => {
    const erased = await t.app.inject({ method: 'POST', url: '/api/v1/erasures', headers: bearer(t.users.admin), payload: { subject: t.users.approver.email, reason: 'ticket 7' } });
    expect(erased.statusCode).toBe(200);
    const items = await timeline(t.users.admin);
    const granted = byKind(items, 'approval.granted').presentation;
    expect(granted.actor).toEqual({ kind: 'user', name: 'Erased person' });
    expect(granted.summary).toMatch(/^Erased person approved action/);
    expect(byKind(items, 'field.changed').presentation.summary).toBe('operator assigned the case to Erased person');
  });

  it('tells the same story in the evidence bundle, which verifies; an erased person has no name there', async () => {
    const exported = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/exports`, headers: bearer(t.users.admin), payload: {} });
    expect(exported.statusCode, exported.body).toBe(201);
    const zip = await t.app.inject({ url: exported.json().bundle, headers: bearer(t.users.admin) });
    expect(zip.statusCode, zip.body).toBe(200);
    const files = new Map(Object.entries(unzipSync(zip.rawPayload)));
    const items = await timeline(t.users.admin);
    const story = Buffer.from(files.get('story.txt')!).toString('utf8');
    expect(story).toBe(items.map((e) => `${e.seq} ${(e as unknown as { at: string }).at} ${e.presentation.summary}\n`).join(''));
    expect(story).toContain('Erased person approved action');
    const people = JSON.parse(Buffer.from(files.get('people.json')!).toString('utf8'));
    expect(people).toEqual({ [t.users.operator.id]: { name: 'operator' }, [t.users.approver.id]: { erased: true }, [t.users.admin.id]: { name: 'admin' } });
    expect(JSON.stringify(people)).not.toContain('@');
    const report = verifyBundle(files, { trusted: parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey) });
    expect(report.failures).toEqual([]);
    expect(report.checks.find((c) => c.name === 'story')).toMatchObject({ ok: true });

    // `latch verify`, as an auditor runs it: the story as exported verifies; one line changed (manifest fixed to match) does not.
    const dir = mkdtempSync(join(tmpdir(), 'latch-story-'));
    try {
      const trust = join(dir, 'trust.txt');
      writeFileSync(trust, `${parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey}\n`);
      const verify = (name: string, bundle: Map<string, Uint8Array>) => {
        writeFileSync(join(dir, name), zipSync(Object.fromEntries(bundle)));
        return runLatch({ ...process.env, LATCH_LOG: 'off' }, ['verify', join(dir, name), '--trust', trust]);
      };
      const honest = verify('honest.zip', files);
      expect(honest.status, honest.stdout + honest.stderr).toBe(0);
      expect(honest.stdout).toMatch(/^✓ story +\d+ lines, each written again from its event$/m);
      const lines = story.split('\n');
      lines[2] = lines[2]!.replace('USD 612.00', 'USD 6,120.00');
      const forged = new Map(files);
      forged.set('story.txt', Buffer.from(lines.join('\n')));
      const manifest = JSON.parse(Buffer.from(files.get('manifest.json')!).toString('utf8'));
      manifest.files['story.txt'] = createHash('sha256').update(forged.get('story.txt')!).digest('hex');
      forged.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
      const caught = verify('forged.zip', forged);
      expect(caught.status, caught.stdout + caught.stderr).toBe(3);
      expect(caught.stdout).toMatch(/^ {2}- story\.txt: line 3 does not match event 3: it says ".*USD 6,120\.00 on pi_123", the events say ".*USD 612\.00 on pi_123"$/m);
      expect(caught.stdout).not.toMatch(/does not match the manifest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
