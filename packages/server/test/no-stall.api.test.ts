import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proposeAction } from '../src/approvals/propose-action.js';
import { actorOf, principalFor } from '../src/auth/principal.js';
import { findUser } from '../src/auth/users.js';
import { bearer, DB_KINDS, REPO_CONFIG_DIR, refundBody, sessionFor, startTestLatch, type TestLatch } from './harness.js';

const ECHO_DIR = fileURLToPath(new URL('../../../plugins/echo', import.meta.url));

/** A case type that allows the echo plugin's `echo` (after a reviewer's approval) and an action echo does not offer. */
const ERRAND = `key: errand
version: 1
name: Errand
defaultQueue: refunds
defaultPriority: normal
fields: { type: object, additionalProperties: false, properties: { note: { type: string, maxLength: 100 } } }
statuses: [{ key: new, name: New }, { key: done, name: Done, final: true }]
initialStatus: new
transitions: [{ from: new, to: [done] }]
actions:
  - { plugin: echo, action: echo, name: Echo, policy: reviewed, input: { type: object, additionalProperties: false, required: [message], properties: { message: { type: string } } } }
  - { plugin: echo, action: shout, name: Shout, input: { type: object, additionalProperties: false, properties: {} } }
policies:
  - key: reviewed
    version: 1
    steps: [{ name: A reviewer, when: "true", role: refund_approver, count: 1, expiresIn: PT48H }]
`;

/**
 * The repo's config plus the errand type and plugins.yaml running echo from a directory of the
 * test's own (a launcher beside a copy of its manifest), so the test can take the plugin away.
 * Automatic retries are spaced far apart, so an approved action stays waiting while the test looks.
 */
function configWithEcho(): { configDir: string; pluginDir: string } {
  const configDir = mkdtempSync(join(tmpdir(), 'latch-no-stall-'));
  cpSync(REPO_CONFIG_DIR, configDir, { recursive: true });
  writeFileSync(join(configDir, 'case-types', 'errand.v1.yaml'), ERRAND);
  const pluginDir = join(configDir, 'echo-plugin');
  mkdirSync(pluginDir);
  cpSync(join(ECHO_DIR, 'latch-plugin.json'), join(pluginDir, 'latch-plugin.json'));
  const manifest = JSON.parse(readFileSync(join(pluginDir, 'latch-plugin.json'), 'utf8'));
  writeFileSync(join(pluginDir, 'latch-plugin.json'), JSON.stringify({ ...manifest, command: ['node', 'launch.mjs'] }));
  writeFileSync(join(pluginDir, 'launch.mjs'), `import ${JSON.stringify(join(ECHO_DIR, 'dist', 'main.js'))};\n`);
  writeFileSync(
    join(configDir, 'plugins.yaml'),
    `plugins:\n  echo:\n    path: ${pluginDir}\n    secrets: { token: { env: LATCH_TEST_ECHO_TOKEN } }\n    retry: { attempts: 20, firstDelayMs: 300000 }\n`,
  );
  return { configDir, pluginDir };
}

/** The pids of this process's children running in `dir` (the plugin's working directory). */
function childrenIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readlinkSync(`/proc/${pid}/cwd`) === dir;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Polls `check` until it holds; the bound is generous, so this is no timing assertion. */
async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function blockedCodes(t: TestLatch, caseId: string): Promise<string[]> {
  const timeline = await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.operator) });
  return timeline
    .json()
    .items.filter((e: { kind: string }) => e.kind === 'attempt.blocked')
    .map((e: { data: { code: string } }) => e.data.code);
}

describe.each(DB_KINDS)("proposals a deployment's plugins could never run (%s)", (kind) => {
  let t: TestLatch;
  let configDir: string;
  let pluginDir: string;
  beforeAll(async () => {
    process.env.LATCH_TEST_ECHO_TOKEN = 'echo-token-for-no-stall';
    ({ configDir, pluginDir } = configWithEcho());
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: configDir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const newCase = async (body: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: body });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const propose = (caseId: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/actions`, headers: bearer(t.users.operator), payload });

  it('refuses a plugin that is not configured, and an action the configured plugin does not offer, with the refusal on the case', async () => {
    const refund = await newCase(refundBody());
    const stripe = { plugin: 'stripe', action: 'refund', input: { payment_intent: 'pi_1', amount_minor: 100, currency: 'usd', reason: 'duplicate' } };
    const notConfigured = await propose(refund, stripe);
    expect(notConfigured.statusCode).toBe(409);
    expect(notConfigured.json().error).toMatchObject({ code: 'PLUGIN_NOT_CONFIGURED', details: { plugin: 'stripe', action: 'refund' } });
    expect(notConfigured.json().error.message).toContain("Plugin 'stripe' is not configured");
    // Simulating it says the same: a proposal would be refused.
    const simulated = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${refund}/actions:simulate`, headers: bearer(t.users.operator), payload: stripe });
    expect(simulated.json().error.code).toBe('PLUGIN_NOT_CONFIGURED');

    const errand = await newCase({ type: 'errand', title: 'An errand', fields: {} });
    const unknown = await propose(errand, { plugin: 'echo', action: 'shout', input: {} });
    expect(unknown.statusCode).toBe(409);
    expect(unknown.json().error).toMatchObject({ code: 'PLUGIN_ACTION_UNKNOWN', details: { plugin: 'echo', action: 'shout', offered: ['echo', 'noop'] } });

    expect(await blockedCodes(t, refund)).toEqual(['PLUGIN_NOT_CONFIGURED']);
    expect(await blockedCodes(t, errand)).toEqual(['PLUGIN_ACTION_UNKNOWN']);
    const listed = await t.app.inject({ url: `/api/v1/cases/${errand}/actions`, headers: bearer(t.users.operator) });
    expect(listed.json().items).toEqual([]);
  });

  it('fails an action approved before its plugin left plugins.yaml, saying so, rather than calling anything', async () => {
    const caseId = await newCase(refundBody());
    const operator = await findUser(t.ctx.database.db, t.users.operator.id);
    const principal = principalFor(operator!, t.ctx.roles);
    const input = { payment_intent: 'pi_1', amount_minor: 100, currency: 'usd', reason: 'duplicate' };
    // Proposed as a deployment without plugins.yaml would have accepted it (no plugins known).
    const row = await t.ctx.database.write((tx) =>
      proposeAction(tx, t.ctx.caseTypes, t.ctx.scheduler, principal, t.ctx.teams.visibilityOf(principal), actorOf(principal), caseId, { plugin: 'stripe', action: 'refund', input }, undefined),
    );
    expect(row.status).toBe('approved');
    const read = async () => (await t.app.inject({ url: `/api/v1/actions/${row.id}`, headers: bearer(t.users.operator) })).json();
    expect((await read()).blockedBy).toMatchObject({ code: 'PLUGIN_NOT_CONFIGURED', plugin: 'stripe' });
    await until(async () => (await read()).status === 'failed');
    const failed = await read();
    expect(failed.result).toMatchObject({ status: 'failed', effect: 'none' });
    expect(failed.result.summary).toContain("Plugin 'stripe' is not configured on this server");
    expect(failed.blockedBy).toBeNull();
  });

  it("says on the action, and in the case's list of actions, that its plugin is down", async () => {
    const errand = await newCase({ type: 'errand', title: 'Errand while echo is down', fields: {} });
    const proposed = await propose(errand, { plugin: 'echo', action: 'echo', input: { message: 'hello' } });
    expect(proposed.statusCode).toBe(201);
    expect(proposed.json()).toMatchObject({ status: 'awaiting_approval', blockedBy: null });

    // Take the plugin away: its launcher is gone and its process killed, so every restart fails.
    const [pid, ...others] = childrenIn(pluginDir);
    expect(pid).toBeDefined();
    expect(others).toEqual([]);
    unlinkSync(join(pluginDir, 'launch.mjs'));
    process.kill(pid!, 'SIGKILL');
    const echoState = async () => (await t.app.inject({ url: '/api/v1/plugins', headers: bearer(t.users.operator) })).json().items[0].state as string;
    await until(async () => (await echoState()) !== 'ready');

    const decided = await t.app.inject({
      method: 'POST',
      url: `/api/v1/actions/${proposed.json().id}/decisions`,
      headers: await sessionFor(t.app, t.users.approver),
      payload: { decision: 'approve', payloadHash: proposed.json().payloadHash },
    });
    expect(decided.statusCode).toBe(201);
    expect(decided.json().blockedBy).toMatchObject({ code: 'PLUGIN_UNAVAILABLE', plugin: 'echo', action: 'echo', state: expect.stringMatching(/^(down|failed|starting)$/) });
    const read = await t.app.inject({ url: `/api/v1/actions/${proposed.json().id}`, headers: bearer(t.users.operator) });
    expect(['approved', 'queued', 'running']).toContain(read.json().status);
    expect(read.json().blockedBy).toMatchObject({ code: 'PLUGIN_UNAVAILABLE', plugin: 'echo' });
    expect(read.json().blockedBy.message).toContain("Plugin 'echo' is");
    // The case's list of actions (what the console's case page reads) says it too.
    const listed = await t.app.inject({ url: `/api/v1/cases/${errand}/actions`, headers: bearer(t.users.operator) });
    expect(listed.json().items[0].blockedBy).toMatchObject({ code: 'PLUGIN_UNAVAILABLE', plugin: 'echo' });
  });
});

describe.each(DB_KINDS)('approved actions with no plugins configured at all (%s)', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('are proposed and approved as before, and say which plugin they wait for', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    const input = { payment_intent: 'pi_123', amount_minor: 4999, currency: 'usd', reason: 'duplicate' };
    const proposed = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${created.json().id}/actions`, headers: bearer(t.users.operator), payload: { plugin: 'stripe', action: 'refund', input } });
    expect(proposed.statusCode).toBe(201);
    expect(proposed.json().status).toBe('approved');
    expect(proposed.json().blockedBy).toEqual({
      code: 'PLUGIN_NOT_CONFIGURED',
      plugin: 'stripe',
      action: 'refund',
      message: "Waiting for plugin 'stripe', which is not configured on this server",
    });

    // Awaiting approval it waits for people, not for a plugin: nothing is said yet.
    const big = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${created.json().id}/actions`,
      headers: bearer(t.users.operator),
      payload: { plugin: 'stripe', action: 'refund', input: { ...input, amount_minor: 60_000 } },
    });
    expect(big.json()).toMatchObject({ status: 'awaiting_approval', blockedBy: null });
  });
});
