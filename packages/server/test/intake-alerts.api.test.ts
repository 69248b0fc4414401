import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSignerKeys, parseTrustFile, sha256Hex } from '@latch/core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../src/audit/verify-log.js';
import { verifyStore } from '../src/audit/verify-store.js';
import { bearer, DB_KINDS, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';
import { intakeConfigDir } from './intake-support.js';

const SECRET = `whsec_${Buffer.from('alert source secret for the tests!').toString('base64')}`;
const sender = new Webhook(SECRET);
const stranger = new Webhook(`whsec_${Buffer.from('some other secret entirely').toString('base64')}`);

/** An Alertmanager (version 4) webhook body. */
const payload = (alerts: { fp: string; status: 'firing' | 'resolved'; name?: string; startsAt?: string }[]) =>
  JSON.stringify({
    version: '4',
    groupKey: '{}:{alertname="x"}',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'latch',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test',
    alerts: alerts.map((a) => ({
      status: a.status,
      labels: { alertname: a.name ?? 'PaymentsErrorRate', severity: 'critical', service: 'payments' },
      annotations: { summary: `${a.name ?? 'PaymentsErrorRate'} above 5%`, description: 'Refund calls failing at the processor' },
      startsAt: a.startsAt ?? '2026-01-01T10:00:00Z',
      endsAt: a.status === 'resolved' ? '2026-01-01T10:30:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.test/graph',
      fingerprint: a.fp,
    })),
  });

let delivery = 0;
const signed = (body: string, options: { id?: string; at?: Date; by?: Webhook } = {}) => {
  const id = options.id ?? `msg_${++delivery}_${Math.random().toString(36).slice(2)}`;
  const at = options.at ?? new Date();
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': (options.by ?? sender).sign(id, at, body) };
};

describe.each(DB_KINDS)('intake by signed alert webhook (%s)', (kind) => {
  let t: TestLatch;
  let dir: string;
  let secretDir: string;
  beforeAll(async () => {
    secretDir = mkdtempSync(join(tmpdir(), 'latch-alert-secret-'));
    writeFileSync(join(secretDir, 'secret'), SECRET);
    dir = intakeConfigDir(`alerts:\n  prometheus: { secret: { file: ${join(secretDir, 'secret')} }, type: refund, queue: refunds, priority: high }\n`);
    t = await startTestLatch(kind, { LATCH_CONFIG_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(secretDir, { recursive: true, force: true });
  });

  const get = async (url: string) => (await t.app.inject({ url, headers: bearer(t.users.admin) })).json();
  const send = (body: string, headers: Record<string, string>, source = 'prometheus') => t.app.inject({ method: 'POST', url: `/api/v1/intake/alerts/${source}`, headers, payload: body });
  const held = async () => (await get('/api/v1/intake/quarantine?status=held')).items as { reason: string; source: string; rawSha256: string; channel: string }[];
  const kinds = async (caseId: string) => (await get(`/api/v1/cases/${caseId}/timeline`)).items.map((e: { kind: string }) => e.kind);

  it('a signed alert opens a case with the payload as raw source and alert.fired on the timeline', async () => {
    const body = payload([{ fp: 'aa01', status: 'firing' }]);
    const res = await send(body, signed(body));
    expect(res.statusCode).toBe(200);
    const [opened] = res.json().cases;
    expect(opened).toMatchObject({ fingerprint: 'aa01', outcome: 'created', alerts: 1 });
    expect(await get(`/api/v1/cases/${opened.caseId}`)).toMatchObject({ type: 'refund', queue: 'refunds', priority: 'high', title: 'PaymentsErrorRate: PaymentsErrorRate above 5%' });
    const events = (await get(`/api/v1/cases/${opened.caseId}/timeline`)).items;
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['case.created', 'intake.received', 'alert.fired']);
    expect(events[1].data).toMatchObject({ channel: 'alert', source: 'prometheus', rawSha256: sha256Hex(Buffer.from(body)), fingerprint: 'aa01' });
    expect(events[2].data).toMatchObject({ source: 'prometheus', fingerprint: 'aa01', alertname: 'PaymentsErrorRate', severity: 'critical' });
    expect((await get('/api/v1/cases?q=processor')).items.map((c: { id: string }) => c.id)).toContain(opened.caseId);
  });

  it('refuses a delivery not signed with the source’s secret, keeping nothing', async () => {
    const before = (await held()).length;
    const body = payload([{ fp: 'bb01', status: 'firing' }]);
    for (const headers of [signed(body, { by: stranger }), { ...signed(body), 'webhook-signature': 'v1,AAAA' }, { 'content-type': 'application/json' }]) {
      const res = await send(body, headers);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    const tampered = signed(body);
    const res = await send(body.replace('critical', 'info'), tampered);
    expect(res.json().error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect((await held()).length).toBe(before);
    expect((await send(body, signed(body), 'nobody')).statusCode).toBe(404);
  });

  it('refuses a replayed webhook-id and a stale timestamp with their codes, holding each in quarantine with its reason', async () => {
    const body = payload([{ fp: 'cc01', status: 'firing' }]);
    const headers = signed(body);
    expect((await send(body, headers)).statusCode).toBe(200);
    const replay = await send(body, headers);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error.code).toBe('WEBHOOK_REPLAYED');

    const old = payload([{ fp: 'cc02', status: 'firing' }]);
    const stale = await send(old, signed(old, { at: new Date(Date.now() - 10 * 60_000) }));
    expect(stale.statusCode).toBe(400);
    expect(stale.json().error.code).toBe('WEBHOOK_TIMESTAMP_STALE');
    const ahead = await send(old, signed(old, { at: new Date(Date.now() + 10 * 60_000) }));
    expect(ahead.json().error.code).toBe('WEBHOOK_TIMESTAMP_STALE');

    const items = await held();
    expect(items).toContainEqual(expect.objectContaining({ channel: 'alert', source: 'prometheus', reason: 'replayed', rawSha256: sha256Hex(Buffer.from(body)) }));
    expect(items.filter((i) => i.reason === 'stale' && i.rawSha256 === sha256Hex(Buffer.from(old)))).toHaveLength(2);
  });

  it('holds a signed delivery that is not Alertmanager’s format as malformed, 400 VALIDATION_FAILED', async () => {
    const body = JSON.stringify({ version: '3', alerts: 'none' });
    const res = await send(body, signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
    expect(await held()).toContainEqual(expect.objectContaining({ reason: 'malformed', rawSha256: sha256Hex(Buffer.from(body)) }));
  });

  it('repeated fingerprints update one open case, firing and resolving on its timeline; a resolution does not close it; once closed, a new firing opens a new case', async () => {
    const first = payload([{ fp: 'dd01', status: 'firing' }]);
    const one = (await send(first, signed(first))).json().cases[0];
    const second = payload([
      { fp: 'dd01', status: 'firing', startsAt: '2026-01-01T10:05:00Z' },
      { fp: 'dd02', status: 'firing', name: 'DiskFull' },
      { fp: 'dd01', status: 'firing', startsAt: '2026-01-01T10:06:00Z' },
    ]);
    const both = (await send(second, signed(second))).json().cases;
    expect(both).toEqual([
      { fingerprint: 'dd01', caseId: one.caseId, outcome: 'threaded', alerts: 2 },
      expect.objectContaining({ fingerprint: 'dd02', outcome: 'created', alerts: 1 }),
    ]);
    const resolved = payload([{ fp: 'dd01', status: 'resolved' }]);
    expect((await send(resolved, signed(resolved))).json().cases[0]).toMatchObject({ caseId: one.caseId, outcome: 'threaded' });
    expect(await kinds(one.caseId)).toEqual(['case.created', 'intake.received', 'alert.fired', 'intake.received', 'alert.fired', 'alert.fired', 'intake.received', 'alert.resolved']);
    const view = await get(`/api/v1/cases/${one.caseId}`);
    expect(view.status).toBe('new');

    const closed = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${one.caseId}`, headers: { ...bearer(t.users.operator), 'if-match': `"${view.version}"` }, payload: { status: 'closed' } });
    expect(closed.statusCode).toBe(200);
    const again = payload([{ fp: 'dd01', status: 'firing', startsAt: '2026-01-02T08:00:00Z' }]);
    const reopened = (await send(again, signed(again))).json().cases[0];
    expect(reopened.outcome).toBe('created');
    expect(reopened.caseId).not.toBe(one.caseId);
  });

  it('concurrent deliveries (committed together) of a new fingerprint open one case; each delivery is on it once; a replay among them is refused', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => payload([{ fp: 'ee01', status: 'firing', startsAt: `2026-02-01T10:${String(i).padStart(2, '0')}:00Z` }]));
    const others = Array.from({ length: 6 }, (_, i) => payload([{ fp: `ef0${i}`, status: 'firing' }]));
    const replayedHeaders = signed(others[0]!);
    const answers = await Promise.all([
      ...bodies.map((body) => send(body, signed(body))),
      ...others.map((body, i) => send(body, i === 0 ? replayedHeaders : signed(body))),
      send(others[0]!, replayedHeaders),
    ]);
    const replays = answers.filter((res) => res.statusCode === 400);
    expect(replays.map((res) => res.json().error.code)).toEqual(['WEBHOOK_REPLAYED']);
    expect(answers.filter((res) => res.statusCode === 200)).toHaveLength(bodies.length + others.length);
    const cc = answers.slice(0, bodies.length).map((res) => res.json().cases[0] as { caseId: string; outcome: string });
    expect(new Set(cc.map((c) => c.caseId)).size).toBe(1);
    expect(cc.filter((c) => c.outcome === 'created')).toHaveLength(1);
    expect((await kinds(cc[0]!.caseId)).filter((k: string) => k === 'alert.fired')).toHaveLength(bodies.length);
    const intake = (await get(`/api/v1/cases/${cc[0]!.caseId}/intake`)).items as { rawSha256: string }[];
    expect(new Set(intake.map((m) => m.rawSha256))).toEqual(new Set(bodies.map((body) => sha256Hex(Buffer.from(body)))));
    const cd = answers.slice(bodies.length, bodies.length + others.length).map((res) => res.json().cases[0] as { caseId: string; outcome: string });
    expect(new Set(cd.map((c) => c.caseId)).size).toBe(others.length);
  });

  it('a burst into open cases, committed in batches: each delivery once on its case, a closed case reopened by a new one, same bytes twice a duplicate, a replay refused; chains and the log verify', async () => {
    const open = await Promise.all(['ff01', 'ff02', 'ff03', 'ff04'].map(async (fp) => {
      const body = payload([{ fp, status: 'firing' }]);
      return (await send(body, signed(body))).json().cases[0].caseId as string;
    }));
    const view = await get(`/api/v1/cases/${open[3]}`);
    const closed = await t.app.inject({ method: 'PATCH', url: `/api/v1/cases/${open[3]}`, headers: { ...bearer(t.users.operator), 'if-match': `"${view.version}"` }, payload: { status: 'closed' } });
    expect(closed.statusCode).toBe(200);
    const fps = ['ff01', 'ff02', 'ff03', 'ff04'];
    const bodies = Array.from({ length: 40 }, (_, i) =>
      payload([{ fp: fps[i % 4]!, status: i % 5 === 4 && i % 4 !== 3 ? 'resolved' : 'firing', startsAt: `2026-03-01T10:${String(i).padStart(2, '0')}:00Z` }]),
    );
    const twice = bodies[1]!;
    const replayed = signed(bodies[2]!);
    const answers = await Promise.all([
      ...bodies.map((body, i) => send(body, i === 2 ? replayed : signed(body))),
      send(twice, signed(twice)),
      send(bodies[2]!, replayed),
      send('{"version":"4"}', signed('{"version":"4"}')),
    ]);
    expect(answers.filter((res) => res.statusCode >= 500)).toEqual([]);
    expect(answers.slice(0, bodies.length).map((res) => res.statusCode)).toEqual(bodies.map(() => 200));
    expect(answers.slice(bodies.length + 1).map((res) => res.json().error.code)).toEqual(['WEBHOOK_REPLAYED', 'VALIDATION_FAILED']);
    const cases = answers.slice(0, bodies.length + 1).map((res) => res.json().cases[0] as { fingerprint: string; caseId: string; outcome: string });
    // Same bytes under the same fingerprint: one of the two is on the case, the other answers duplicate.
    expect([cases[1]!.outcome, cases[bodies.length]!.outcome].sort()).toEqual(['duplicate', 'threaded']);
    expect(cases[bodies.length]!.caseId).toBe(cases[1]!.caseId);
    for (const [n, fp] of fps.entries()) {
      const mine = cases.slice(0, bodies.length).filter((c) => c.fingerprint === fp);
      if (fp === 'ff04') {
        // The closed case stays closed: the first firing opens one new case and the rest follow it.
        expect(mine.filter((c) => c.outcome === 'created')).toHaveLength(1);
        expect(new Set(mine.map((c) => c.caseId)).size).toBe(1);
        expect(mine[0]!.caseId).not.toBe(open[3]);
      } else {
        expect(new Set(mine.map((c) => c.caseId))).toEqual(new Set([open[n]]));
      }
      const caseId = mine[0]!.caseId;
      const timeline = (await get(`/api/v1/cases/${caseId}/timeline`)).items as { kind: string; data: { rawSha256?: string; startsAt?: string } }[];
      const received = timeline.filter((e) => e.kind === 'intake.received').map((e) => e.data.rawSha256);
      const expected = bodies.filter((_, i) => i % 4 === n).map((body) => sha256Hex(Buffer.from(body)));
      // Each accepted delivery once (the first of a case is its opening one, before the burst: ff01..ff03).
      expect(received.filter((sha) => expected.includes(sha!)).sort()).toEqual([...expected].sort());
      expect(new Set(received).size).toBe(received.length);
      expect(timeline.filter((e) => e.kind === 'alert.fired' || e.kind === 'alert.resolved').length).toBe(received.length);
    }
    const store = await verifyStore(t.ctx.database.db);
    expect(store.broken).toEqual([]);
    await t.ctx.log.sequencer.drain();
    const log = await verifyLog(t.ctx.database.db, { trusted: parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey) });
    expect(log.problems).toEqual([]);
    expect(log.pending).toBe(0);
  });
});
