import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateSignerKey,
  leafHash,
  openNote,
  parseCheckpoint,
  parseSignerKeys,
  parseTlogProof,
  parseTrustFile,
  parseVerifierKey,
  permissionsOf,
  type Principal,
  verifyBundle,
  verifyConsistency,
  verifyInclusion,
} from '@latch/core';
import { asc, sql } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../src/audit/verify-log.js';
import { createCase, type NewCase } from '../src/cases/create-case.js';
import { readConfig } from '../src/config.js';
import { resultRows } from '../src/db/database.js';
import { events, logCheckpoints, logLeaves } from '../src/db/schema.js';
import { openLatch } from '../src/runtime.js';
import { trustFileText } from '../src/log/trust.js';
import { bearer, DB_KINDS, freshPostgresDatabase, TEST_CONFIG_DIR, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';

const trustedTestKey = () => parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey);

describe.each(DB_KINDS)('the global Merkle log on %s', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind);
  });
  afterAll(() => t.close());

  const createCase = async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const checkpoint = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/log/checkpoint', headers: bearer(t.users.operator) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.body;
  };

  it('integrates every committed event once, and signs a checkpoint of the whole tree', async () => {
    for (let i = 0; i < 5; i++) await createCase();
    await t.ctx.log.sequencer.drain();
    const note = await checkpoint();
    const opened = openNote(note, [parseVerifierKey(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey)]);
    const body = parseCheckpoint(opened.text);
    expect(body.origin).toBe('latch.test/log');
    const db = t.ctx.database.db;
    const { n } = resultRows<{ n: string }>(await db.execute(sql`select count(*) as n from ${events}`))[0]!;
    expect(body.size).toBe(Number(n));
    const leaves = await db.select().from(logLeaves).orderBy(asc(logLeaves.position));
    expect(leaves.map((l) => l.position)).toEqual([...Array(leaves.length).keys()]);
    expect(new Set(leaves.map((l) => l.eventId)).size).toBe(leaves.length);
    const report = await verifyLog(db, { trusted: trustedTestKey() });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('serves inclusion proofs that verify against the checkpoint, in JSON and as a C2SP tlog-proof', async () => {
    const id = await createCase();
    await t.ctx.log.sequencer.drain();
    const timeline = (await t.app.inject({ method: 'GET', url: `/api/v1/cases/${id}/timeline?bytes=true`, headers: bearer(t.users.operator) })).json();
    const event = timeline.items[0];
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/log/proofs/inclusion?event=${event.id}`, headers: bearer(t.users.operator) });
    expect(res.statusCode, res.body).toBe(200);
    const proof = res.json();
    const root = parseCheckpoint(proof.checkpoint.slice(0, proof.checkpoint.indexOf('\n\n') + 1)).root;
    const leaf = leafHash(Buffer.from(event.bytes, 'utf8'));
    const hashes = proof.proof.map((h: string) => Buffer.from(h, 'base64'));
    expect(verifyInclusion(leaf, proof.index, proof.treeSize, hashes, root)).toBe(true);
    expect(verifyInclusion(leafHash(Buffer.from(`${event.bytes} `, 'utf8')), proof.index, proof.treeSize, hashes, root)).toBe(false);

    const text = await t.app.inject({ method: 'GET', url: `/api/v1/log/proofs/inclusion?event=${event.id}&format=tlog-proof`, headers: bearer(t.users.operator) });
    const parsed = parseTlogProof(text.body);
    expect(parsed.index).toBe(proof.index);
    expect(parsed.proof.map((h) => h.toString('base64'))).toEqual(proof.proof);

    // An event of a case the caller can't see is not found, like the case itself.
    const hidden = await t.app.inject({ method: 'GET', url: `/api/v1/log/proofs/inclusion?event=${event.id}`, headers: bearer(t.users.outsider) });
    expect(hidden.statusCode).toBe(404);
  });

  it('proves each checkpoint consistent with the one before', async () => {
    const first = parseCheckpoint((await checkpoint()).split('\n\n')[0]! + '\n');
    await createCase();
    await createCase();
    await t.ctx.log.sequencer.drain();
    const second = parseCheckpoint((await checkpoint()).split('\n\n')[0]! + '\n');
    expect(second.size).toBeGreaterThan(first.size);
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/log/proofs/consistency?from=${first.size}&to=${second.size}`, headers: bearer(t.users.operator) });
    expect(res.statusCode, res.body).toBe(200);
    const proof = res.json().proof.map((h: string) => Buffer.from(h, 'base64'));
    expect(verifyConsistency(first.size, second.size, proof, first.root, second.root)).toBe(true);
    expect(verifyConsistency(first.size, second.size, proof, second.root, first.root)).toBe(false);
    const backwards = await t.app.inject({ method: 'GET', url: `/api/v1/log/proofs/consistency?from=${second.size}&to=${first.size}`, headers: bearer(t.users.operator) });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('exports a case as an evidence bundle that verifies offline, recording case.exported with the case head', async () => {
    const id = await createCase();
    await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: bearer(t.users.operator), payload: { body: 'called the customer' } });
    const attach = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cases/${id}/attachments?filename=receipt.txt`,
      headers: { ...bearer(t.users.operator), 'content-type': 'text/plain' },
      payload: Buffer.from('receipt 1042'),
    });
    expect(attach.statusCode).toBe(201);
    await t.ctx.log.sequencer.drain();
    const earlier = (await checkpoint());

    const denied = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/exports`, headers: bearer(t.users.operator), payload: {} });
    expect(denied.statusCode).toBe(403);
    const exported = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/exports`, headers: bearer(t.users.admin), payload: {} });
    expect(exported.statusCode, exported.body).toBe(201);
    const { bundle, seq, head } = exported.json();
    expect(head.seq).toBe(3);
    expect(seq).toBe(4);
    const earlierSize = parseCheckpoint(earlier.split('\n\n')[0]! + '\n').size;
    const zip = await t.app.inject({ method: 'GET', url: `${bundle}?since=${earlierSize}`, headers: bearer(t.users.admin) });
    expect(zip.statusCode, zip.body).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const files = new Map(Object.entries(unzipSync(zip.rawPayload)));
    expect(Buffer.from(files.get('events.jsonl')!).toString('utf8').trimEnd().split('\n')).toHaveLength(4);
    expect([...files.keys()].filter((f) => f.startsWith('blobs/'))).toHaveLength(1);
    const report = verifyBundle(files, { trusted: trustedTestKey(), since: earlier });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.events).toBe(4);

    // The same bundle against a key the auditor does not trust fails.
    const stranger = parseTrustFile(parseSignerKeys(generateSignerKey('latch.test/log'))[0]!.verifierKey);
    expect(verifyBundle(files, { trusted: stranger }).ok).toBe(false);
  });
});

describe('several Latch processes on one PostgreSQL database', () => {
  it('log every event exactly once, whichever process leads', async () => {
    const pgdb = await freshPostgresDatabase();
    const config = readConfig({ LATCH_CONFIG_DIR: TEST_CONFIG_DIR, LATCH_DATABASE_URL: pgdb.url, LATCH_LOG_KEY: TEST_LOG_KEY, LATCH_LOG_INTERVAL_MS: '20' });
    const quiet = () => undefined;
    const a = await openLatch(config, { migrate: true, log: quiet });
    const b = await openLatch(config, { log: quiet });
    try {
      const system = { type: 'system', id: 'test' } as const;
      const staff: Principal = { userId: '00000000-0000-7000-8000-000000000001', roles: ['operator'], teams: [], permissions: permissionsOf(['operator']) };
      const writes = [];
      for (let i = 0; i < 60; i++) {
        const latch = i % 2 === 0 ? a : b;
        writes.push(latch.ctx.database.write((tx) => createCase(tx, latch.ctx.caseTypes, staff, system, refundBody() as NewCase)));
      }
      await Promise.all(writes);
      await Promise.all([a.ctx.log.sequencer.drain(), b.ctx.log.sequencer.drain()]);
      const db = a.ctx.database.db;
      const leaves = await db.select().from(logLeaves).orderBy(asc(logLeaves.position));
      const { n } = resultRows<{ n: string }>(await db.execute(sql`select count(*) as n from ${events}`))[0]!;
      expect(leaves).toHaveLength(Number(n));
      expect(leaves.map((l) => l.position)).toEqual([...Array(leaves.length).keys()]);
      const report = await verifyLog(db, { trusted: trustedTestKey() });
      expect(report.problems).toEqual([]);

      // Whichever led, with `a` gone `b`'s own loop leads and integrates new events, unprompted.
      await a.close();
      for (let i = 0; i < 10; i++) await b.ctx.database.write((tx) => createCase(tx, b.ctx.caseTypes, staff, system, refundBody() as NewCase));
      const pending = async () => resultRows<{ n: string }>(await b.ctx.database.db.execute(sql`select count(*) as n from log_pending`))[0]!.n;
      for (let i = 0; i < 100 && (await pending()) !== '0'; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await pending()).toBe('0');
      expect((await verifyLog(b.ctx.database.db, { trusted: trustedTestKey() })).problems).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await pgdb.drop();
    }
  });
});

describe('key rotation', () => {
  it('signs with both keys during the overlap, records log.key_rotated, and keeps each key’s window in the trust file', async () => {
    const pgdb = await freshPostgresDatabase();
    const oldKey = generateSignerKey('latch.test/rotating');
    const newKey = generateSignerKey('latch.test/rotating');
    const open = (keys: string, migrate = false) =>
      openLatch(readConfig({ LATCH_CONFIG_DIR: TEST_CONFIG_DIR, LATCH_DATABASE_URL: pgdb.url, LATCH_LOG_KEY: keys, LATCH_LOG_INTERVAL_MS: '60000' }), { migrate, log: () => undefined });
    const oldV = parseSignerKeys(oldKey)[0]!.verifierKey;
    const newV = parseSignerKeys(newKey)[0]!.verifierKey;
    try {
      for (const keys of [oldKey, `${oldKey}\n${newKey}`, newKey]) {
        const latch = await open(keys, keys === oldKey);
        await latch.ctx.log.sequencer.drain();
        await latch.close();
      }
      const latch = await open(newKey);
      try {
        const db = latch.ctx.database.db;
        const checkpoints = await db.select().from(logCheckpoints).orderBy(asc(logCheckpoints.size));
        expect(checkpoints.map((c) => c.signers)).toEqual([[oldV], [oldV, newV], [newV]]);
        const rotations = await db.select().from(events).where(sql`${events.kind} = 'log.key_rotated'`).orderBy(asc(events.seq));
        expect(rotations.map((r) => JSON.parse(r.bytes).data.added)).toEqual([[oldV], [newV], []]);
        expect(rotations.map((r) => JSON.parse(r.bytes).data.removed)).toEqual([[], [], [oldV]]);

        const trust = await trustFileText(db, [newV]);
        const entries = parseTrustFile(trust);
        expect(entries.map((e) => [e.from, e.until])).toEqual([
          [checkpoints[0]!.size, checkpoints[1]!.size],
          [checkpoints[1]!.size, undefined],
        ]);
        expect((await verifyLog(db, { trusted: entries })).problems).toEqual([]);
        // Trusting only the new key, the old checkpoint fails: a key is trusted only inside its window.
        const onlyNew = await verifyLog(db, { trusted: parseTrustFile(newV) });
        expect(onlyNew.problems).toEqual([`checkpoint ${checkpoints[0]!.size}: signed by no key trusted for this size`]);
      } finally {
        await latch.close();
      }
    } finally {
      await pgdb.drop();
    }
  });
});

describe('publishing checkpoints outside Latch', () => {
  let received: string[] = [];
  let server: ReturnType<typeof createServer>;
  let url = '';
  const dir = mkdtempSync(join(tmpdir(), 'latch-publish-'));
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(`${request.method} ${request.headers['content-type']}\n${body}`);
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/checkpoints`;
  });
  afterAll(async () => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each new checkpoint to the directory and POSTs it to the webhook', async () => {
    received = [];
    const t = await startTestLatch('pglite', { LATCH_LOG_PUBLISH_DIR: dir, LATCH_LOG_WEBHOOK_URL: url });
    try {
      await t.ctx.log.sequencer.drain();
      await t.ctx.log.publisher.settled();
      const published = readFileSync(join(dir, 'checkpoint'), 'utf8');
      const latest = (await t.app.inject({ method: 'GET', url: '/api/v1/log/checkpoint', headers: bearer(t.users.admin) })).body;
      expect(published).toBe(latest);
      expect(received.at(-1)).toBe(`POST text/plain; charset=utf-8\n${latest}`);
      expect(parseTrustFile(readFileSync(join(dir, 'trust.txt'), 'utf8'))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
