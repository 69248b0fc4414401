import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalApi } from './fakes/access-api-server.js';
import { spawn } from 'node:child_process';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { exited, freePort, LATCH_BIN, latchEnv } from './process.js';
import { accessConfig, grantInput } from './workflow-support.js';

/** `latch serve`, waited for up to 3 minutes: an embedded first start (migrations) is slow on a busy machine. */
async function startServer(env: NodeJS.ProcessEnv) {
  const port = await freePort();
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, 'serve'], { env: { ...env, LATCH_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.resume();
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1800; i++) {
    if (child.exitCode !== null) throw new Error(`latch serve exited ${child.exitCode}: ${stderr}`);
    if ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200) return { child, base, stderr: () => stderr };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`latch serve never became ready: ${stderr}`);
}

type Item = { id: string; kind: string; status: string; data: Record<string, unknown>; actor: { type: string; id: string } };

/**
 * The revoke survives Latch going away: killed (-9) before the grant expires, then again while the
 * access system is applying the revoke and before Latch heard its answer. Restarted each time, it
 * revokes by itself, and the access system applies the revoke exactly once.
 */
describe('a scheduled revoke across kill -9 restarts', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('runs at expiry after a restart, and once in effect when Latch died mid-call', async () => {
    const api = await startLocalApi();
    const dataDir = mkdtempSync(join(tmpdir(), 'latch-revoke-crash-'));
    const configDir = accessConfig(api);
    dirs.push(dataDir, configDir);
    const password = 'revoke crash password';
    // People are made through the API (the bootstrap admin's session): a CLI run would open the embedded database once more.
    const env = latchEnv(dataDir, { LATCH_CONFIG_DIR: configDir, LATCH_BOOTSTRAP_ADMIN_EMAIL: 'admin@access.example', LATCH_BOOTSTRAP_ADMIN_PASSWORD: password });
    let server = await startServer(env);
    try {
      const login = async (email: string) => {
        const res = await fetch(`${server.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith('latch_session='))!.split(';')[0]!;
        return { cookie, 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken, 'content-type': 'application/json' };
      };
      const call = async (headers: Record<string, string>, path: string, body?: unknown) =>
        (await (await fetch(`${server.base}${path}`, { method: body ? 'POST' : 'GET', headers, ...(body ? { body: JSON.stringify(body) } : {}) })).json()) as Record<string, unknown> & { items: Item[] };
      const admin = await login('admin@access.example');
      for (const [email, role] of [['op@access.example', 'operator'], ['owner@access.example', 'resource_owner']] as const) {
        const made = await call(admin, '/api/v1/users', { email, name: email.split('@')[0], password, roles: [role], teams: ['it_access'] });
        expect(made.email, JSON.stringify(made)).toBe(email);
      }
      const op = await login('op@access.example');
      const owner = await login('owner@access.example');
      const caseId = (await call(op, '/api/v1/cases', { type: 'access_grant', title: 'Read on prod-db', fields: { user: 'j.doe', resource: 'prod-db', role: 'read' } })).id as string;
      const grant = await call(op, `/api/v1/cases/${caseId}/actions`, { plugin: 'http', action: 'request', input: grantInput('PT6S') });
      expect(grant.status).toBe('awaiting_approval');
      await call(owner, `/api/v1/actions/${String(grant.id)}/decisions`, { decision: 'approve', payloadHash: grant.payloadHash });
      expect(['approved', 'queued', 'running', 'succeeded']).toContain((await call(op, `/api/v1/actions/${String(grant.id)}`)).status);
      const timeline = async () => (await call(op, `/api/v1/cases/${caseId}/timeline`)).items;
      let scheduled: Item | undefined;
      for (let i = 0; i < 100 && !scheduled; i++) {
        await new Promise((r) => setTimeout(r, 100));
        scheduled = (await timeline()).find((e) => e.kind === 'access.revoke_scheduled');
      }
      expect(scheduled, server.stderr()).toBeDefined();
      const revokeId = String(scheduled!.data.revokeActionId);

      // 1. Latch dies before the grant expires; nothing runs while it is down.
      server.child.kill('SIGKILL');
      await exited(server.child);
      // 2. Restarted, the timer fires by itself. The access system applies the revoke but answers
      //    only after 10 s, and Latch dies again while it waits.
      api.inject({ kind: 'delay', ms: 10_000, path: '/revocations' });
      server = await startServer(env);
      for (let i = 0; i < 150 && !api.effects.some((e) => e.path === '/revocations'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(api.effects.map((e) => e.path), server.stderr()).toEqual(['/grants', '/revocations']);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(String(scheduled!.data.revokeAt)));
      server.child.kill('SIGKILL');
      await exited(server.child);

      // 3. Restarted again: the interrupted execution is delivered again, with the same key; the access system answers from the first.
      server = await startServer(env);
      const opAgain = await login('op@access.example');
      let revoke: Record<string, unknown> = {};
      for (let i = 0; i < 200 && revoke.status !== 'succeeded' && revoke.status !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        revoke = await (await fetch(`${server.base}/api/v1/actions/${revokeId}`, { headers: opAgain })).json() as Record<string, unknown>;
      }
      expect(revoke.status, `${JSON.stringify(revoke)}\n${server.stderr()}`).toBe('succeeded');
      const revocations = api.requests.filter((r) => r.path === '/revocations');
      expect(revocations.length).toBeGreaterThanOrEqual(2);
      expect(new Set(revocations.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`latch-${revokeId}-r1-e1`]));
      expect(api.effects.map((e) => e.path)).toEqual(['/grants', '/revocations']);
      const events = (await (await fetch(`${server.base}/api/v1/cases/${caseId}/timeline`, { headers: opAgain })).json()) as { items: Item[] };
      const story = events.items.filter((e) => e.data.actionId === revokeId).map((e) => e.kind);
      expect(story[0]).toBe('action.proposed');
      expect(story.filter((k) => k === 'action.proposed')).toHaveLength(1);
      expect(story.at(-1)).toBe('action.succeeded');
      expect(events.items.find((e) => e.kind === 'action.proposed' && e.data.actionId === revokeId)!.actor).toEqual({ type: 'system', id: 'scheduled-revoke' });
      server.child.kill('SIGTERM');
      expect(await exited(server.child)).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await api.close();
    }
  }, 600_000);
});
