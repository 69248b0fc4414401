import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveIntake } from '../src/intake/receive-intake.js';
import { bearer, DB_KINDS, startTestLatch, type TestLatch } from './harness.js';
import { intakeConfigDir } from './intake-support.js';

const ECHO_DIR = fileURLToPath(new URL('../../../plugins/echo', import.meta.url));

describe.each(DB_KINDS)('a case opened by intake gets context from plugins (%s)', (kind) => {
  let t: TestLatch;
  let dir: string;
  beforeAll(async () => {
    dir = intakeConfigDir();
    process.env.LATCH_TEST_INTAKE_ECHO_TOKEN = 'echo-token-intake';
    appendFileSync(join(dir, 'plugins.yaml'), `plugins:\n  echo:\n    path: ${ECHO_DIR}\n    secrets: { token: { env: LATCH_TEST_INTAKE_ECHO_TOKEN } }\n    context: ["*"]\n`);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks the plugins the deployment names for the type, as for a case opened through the API', async () => {
    const { caseId, outcome } = await receiveIntake(t.ctx, {
      channel: 'email',
      source: 'refunds@latch.test',
      raw: Buffer.from('Refund please\n\norder 12 arrived broken', 'utf8'),
      rawType: 'message/rfc822',
      target: { type: 'refund', queue: 'refunds' },
      parsed: { title: 'Refund please', body: 'order 12 arrived broken', requester: { email: 'ann@customer.example' }, ownKey: 'ctx1@customer.example' },
    });
    expect(outcome).toBe('created');
    const deadline = Date.now() + 30_000;
    let kinds: string[] = [];
    while (!kinds.includes('case.context_attached') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      kinds = ((await t.app.inject({ url: `/api/v1/cases/${caseId}/timeline`, headers: bearer(t.users.admin) })).json().items as { kind: string }[]).map((e) => e.kind);
    }
    expect(kinds).toEqual(['case.created', 'intake.received', 'case.context_attached']);
    const context = (await t.app.inject({ url: `/api/v1/cases/${caseId}/context`, headers: bearer(t.users.operator) })).json();
    expect(context.items).toMatchObject([{ plugin: 'echo', status: 'attached' }]);
  });
});
