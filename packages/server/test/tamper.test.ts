import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCheckpoint, generateSignerKey, leafHash, parseSignerKeys, personal, rootOf, sealEvent, signNoteWithKeys } from '@latch/core';
import { unzipSync, zipSync } from 'fflate';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';
import { exited, latchEnv, runLatch, startServer } from './process.js';

// A malicious PostgreSQL superuser switches the append-only triggers off and rewrites history.
// Each scenario runs the real `latch verify` and asserts the line of its report that names the
// tampering (stream and seq, log leaf, checkpoint, bundle file), and exit code 3.

const dir = mkdtempSync(join(tmpdir(), 'latch-tamper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const sha256 = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex');
const verifierKeyOf = (signerKey: string) => parseSignerKeys(signerKey)[0]!.verifierKey;
/** The auditor's trust file: the real log key only. */
const REAL_KEYS = file('real-keys.txt', `${verifierKeyOf(TEST_LOG_KEY)}\n`);

/** `latch …` on the test's PostgreSQL database, run on the host like an operator or auditor would. */
const latch = (t: TestLatch, ...args: string[]) =>
  runLatch({ ...process.env, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG: 'off', LATCH_LOG_KEY: TEST_LOG_KEY }, args);
type Run = ReturnType<typeof runLatch>;
const lines = (run: Run) => run.stdout.split('\n');

/** Asserts a failed verification (exit 3) whose report holds each of the given lines exactly. */
function expectNamed(run: Run, ...expected: (string | RegExp)[]) {
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(3);
  for (const line of expected) {
    if (typeof line === 'string') expect(lines(run), run.stdout).toContain(line);
    else expect(run.stdout).toMatch(line);
  }
}

const GUARDED = ['events', 'log_leaves', 'log_nodes', 'log_checkpoints'];

/** Runs `work` as a superuser with the append-only triggers disabled, and enables them again after. */
async function asSuperuser<T>(t: TestLatch, work: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: t.databaseUrl });
  await db.connect();
  try {
    for (const table of GUARDED) await db.query(`alter table ${table} disable trigger ${table}_no_update_delete`);
    return await work(db);
  } finally {
    for (const table of GUARDED) await db.query(`alter table ${table} enable trigger ${table}_no_update_delete`);
    await db.end();
  }
}

interface StoredEvent {
  id: string;
  seq: number;
  hash: string;
  bytes: string;
  position: number;
}

async function eventsOf(db: pg.Client, stream: string): Promise<StoredEvent[]> {
  const { rows } = await db.query<StoredEvent & { position: string }>(
    'select e.id, e.seq, e.hash, e.bytes, l.position from events e left join log_leaves l on l.event_id = e.id where e.stream = $1 order by e.seq',
    [stream],
  );
  return rows.map((row) => ({ ...row, position: Number(row.position) }));
}

/** Creates cases, each with case.created and three notes. */
async function createCases(t: TestLatch, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    for (const body of ['called the customer', 'refund approved', 'customer confirmed']) {
      await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: bearer(t.users.operator), payload: { body } });
    }
    ids.push(id);
  }
  return ids;
}

/**
 * A fresh database with three cases, all integrated into the log and verified clean; then the
 * sequencer stops, so the tampering meets a quiet log.
 */
async function withTamperedLatch(work: (t: TestLatch, cases: string[]) => Promise<void>): Promise<void> {
  const t = await startTestLatch('postgres');
  try {
    const cases = await createCases(t, 3);
    await t.ctx.log.sequencer.drain();
    const clean = latch(t, 'verify', '--all');
    expect(clean.status, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/OK: every chain verifies; the Merkle tree recomputed from the event bytes matches all \d+ checkpoints/);
    await t.ctx.log.sequencer.stop();
    await work(t, cases);
  } finally {
    await t.close();
  }
}

/** Changes one hex digit of the note body's personal-data commitment: still canonical JSON. */
function flipOneByte(bytes: string): string {
  const at = bytes.indexOf('"$pii":"') + '"$pii":"'.length;
  return `${bytes.slice(0, at)}${bytes[at] === 'a' ? 'b' : 'a'}${bytes.slice(at + 1)}`;
}

describe('latch verify --all names what a PostgreSQL superuser tampered with', () => {
  it('(a) one byte of an event changed, with or without its stored hash fixed up', async () => {
    await withTamperedLatch(async (t, [c0, c1]) => {
      const refused = new pg.Client({ connectionString: t.databaseUrl });
      await refused.connect();
      await expect(refused.query('update events set bytes = bytes')).rejects.toThrow(/append-only/);
      await refused.end();

      const [a, b] = await asSuperuser(t, async (db) => {
        const [a] = (await eventsOf(db, c0!)).filter((e) => e.seq === 2);
        const [b, afterB] = (await eventsOf(db, c1!)).filter((e) => e.seq === 2 || e.seq === 3);
        await db.query('update events set bytes = $1 where id = $2', [flipOneByte(a!.bytes), a!.id]);
        await db.query('update events set bytes = $1, hash = $2 where id = $3', [flipOneByte(b!.bytes), sha256(flipOneByte(b!.bytes)), b!.id]);
        return [a!, { ...b!, next: afterB! }];
      });
      const run = latch(t, 'verify', '--all');
      expectNamed(
        run,
        `BROKEN  stream ${c0}: at event 2 (${a.id}): stored hash ${a.hash} does not match the bytes (${sha256(flipOneByte(a.bytes))})`,
        `BROKEN  log: log leaf ${a.position}: event ${a.id} was changed after it was logged`,
        `BROKEN  stream ${c1}: at event 3 (${b.next.id}): previous-hash link is broken (expected ${sha256(flipOneByte(b.bytes))}, found ${b.hash})`,
        `BROKEN  log: log leaf ${b.position}: event ${b.id} was changed after it was logged`,
      );
      // Only the events changed: the leaves, nodes and checkpoints are intact, and the report says so by naming nothing else.
      expect(run.stdout).not.toMatch(/log node|does not match the log/);
    });
  });

  it('(b) an event deleted from the middle of a case', async () => {
    await withTamperedLatch(async (t, [c0]) => {
      const [second, third] = await asSuperuser(t, async (db) => {
        const stored = await eventsOf(db, c0!);
        await db.query('delete from events where id = $1', [stored[1]!.id]);
        return [stored[1]!, stored[2]!];
      });
      expectNamed(
        latch(t, 'verify', '--all'),
        `BROKEN  stream ${c0}: at event 2 (${third.id}): event 2 is missing`,
        `BROKEN  log: log leaf ${second.position}: its event ${second.id} was deleted`,
      );
    });
  });

  it('(c) the tail of a case deleted: head kept, head rewound, and leaf deleted too', async () => {
    await withTamperedLatch(async (t, [c0, c1, c2]) => {
      const gone = await asSuperuser(t, async (db) => {
        const [e0, e1, e2] = [await eventsOf(db, c0!), await eventsOf(db, c1!), await eventsOf(db, c2!)];
        // c1: the last two events go, its stream head still says seq 4.
        await db.query('delete from events where stream = $1 and seq >= 3', [c1]);
        // c2: the last event goes and the head is rewound to the one before: the chain itself is fine.
        await db.query('delete from events where id = $1', [e2[3]!.id]);
        await db.query('update stream_heads set seq = 3, hash = $1 where stream = $2', [e2[2]!.hash, c2]);
        // c0: the same, and its log leaf is deleted too.
        await db.query('delete from events where id = $1', [e0[3]!.id]);
        await db.query('update stream_heads set seq = 3, hash = $1 where stream = $2', [e0[2]!.hash, c0]);
        await db.query('delete from log_leaves where event_id = $1', [e0[3]!.id]);
        return { c0: e0[3]!, c1: e1.slice(2), c2: e2[3]! };
      });
      const run = latch(t, 'verify', '--all');
      expectNamed(
        run,
        `BROKEN  stream ${c1}: at event 3: events 3..4 are missing (the recorded head is at 4)`,
        ...gone.c1.map((e) => `BROKEN  log: log leaf ${e.position}: its event ${e.id} was deleted`),
        `BROKEN  log: log leaf ${gone.c2.position}: its event ${gone.c2.id} was deleted`,
        `BROKEN  log: log leaf ${gone.c0.position} is missing: leaves were deleted`,
        `BROKEN  log: checkpoints of more than ${gone.c0.position} leaves cannot be checked: the log has a hole at leaf ${gone.c0.position}`,
      );
      expect(run.stdout).not.toContain(`stream ${c2}`);
      expect(run.stdout).not.toContain(`stream ${c0}`);
    });
  });

  it('(d) two events of a case swapped: by bytes and hash, or by seq', async () => {
    await withTamperedLatch(async (t, [c0, c1]) => {
      const [x, y] = await asSuperuser(t, async (db) => {
        const [, x2, x3] = await eventsOf(db, c0!);
        await db.query('update events set bytes = $1, hash = $2 where id = $3', [x3!.bytes, x3!.hash, x2!.id]);
        await db.query('update events set bytes = $1, hash = $2 where id = $3', [x2!.bytes, x2!.hash, x3!.id]);
        const [, y2, y3] = await eventsOf(db, c1!);
        await db.query('update events set seq = -1 where id = $1', [y2!.id]);
        await db.query('update events set seq = 2 where id = $1', [y3!.id]);
        await db.query('update events set seq = 3 where id = $1', [y2!.id]);
        return [{ second: x2!, third: x3! }, { second: y2!, third: y3! }];
      });
      expectNamed(
        latch(t, 'verify', '--all'),
        `BROKEN  stream ${c0}: at event 2 (${x.second.id}): stored as event 2 but its bytes are event 3 (${x.third.id}): events were moved or swapped`,
        `BROKEN  log: log leaf ${x.second.position}: event ${x.second.id} was changed after it was logged`,
        `BROKEN  log: log leaf ${x.third.position}: event ${x.third.id} was changed after it was logged`,
        `BROKEN  stream ${c1}: at event 2 (${y.third.id}): stored as event 2 but its bytes are event 3: events were moved or swapped`,
      );
    });
  });

  it('(e) a well-formed forged event appended outside Latch, with or without the stream head updated', async () => {
    await withTamperedLatch(async (t, [c0, c1]) => {
      const forge = async (db: pg.Client, stream: string, moveHead: boolean) => {
        const last = (await eventsOf(db, stream)).at(-1)!;
        const actor = { type: 'user', id: t.users.operator.id } as const;
        const event = sealEvent({ kind: 'note.added', actor, data: { body: personal('refund sent twice, all fine') } }, { stream, seq: last.seq, hash: last.hash });
        await db.query('insert into events (id, stream, seq, kind, at, hash, bytes) values ($1, $2, $3, $4, $5, $6, $7)', [
          event.id, stream, event.seq, event.kind, event.at, event.hash, event.bytes,
        ]);
        if (moveHead) await db.query('update stream_heads set seq = $1, hash = $2 where stream = $3', [event.seq, event.hash, stream]);
        return event;
      };
      // Inserting needs no trigger switched off: events refuse only UPDATE, DELETE and TRUNCATE.
      const db = new pg.Client({ connectionString: t.databaseUrl });
      await db.connect();
      const unheaded = await forge(db, c0!, false);
      const headed = await forge(db, c1!, true);
      await db.end();
      const run = latch(t, 'verify', '--all');
      expectNamed(
        run,
        `BROKEN  stream ${c0}: at event 5: events after the recorded head (4) were not written by Latch`,
        `BROKEN  log: event ${unheaded.id} (stream ${c0}, seq 5) is in no log leaf and not queued: it was inserted outside Latch`,
        `BROKEN  log: event ${headed.id} (stream ${c1}, seq 5) is in no log leaf and not queued: it was inserted outside Latch`,
      );
      expect(run.stdout).not.toContain(`stream ${c1}:`);
    });
  });

  it('(h) a forged, correctly chained event placed in the queue for the log', async () => {
    await withTamperedLatch(async (t, [c0]) => {
      const publishDir = mkdtempSync(join(dir, 'published-'));
      const held = latch(t, 'log', 'checkpoint');
      writeFileSync(join(publishDir, 'checkpoint'), held.stdout);
      const db = new pg.Client({ connectionString: t.databaseUrl });
      await db.connect();
      const last = (await eventsOf(db, c0!)).at(-1)!;
      const actor = { type: 'user', id: t.users.operator.id } as const;
      const event = sealEvent({ kind: 'note.added', actor, data: { body: personal('approved by the CFO') } }, { stream: c0!, seq: last.seq, hash: last.hash });
      await db.query('insert into events (id, stream, seq, kind, at, hash, bytes) values ($1, $2, $3, $4, $5, $6, $7)', [event.id, c0, event.seq, event.kind, event.at, event.hash, event.bytes]);
      await db.query('update stream_heads set seq = $1, hash = $2 where stream = $3', [event.seq, event.hash, c0]);
      await db.query('insert into log_pending (event_id, leaf) values ($1, $2)', [event.id, leafHash(Buffer.from(event.bytes))]);
      await db.end();
      const env = { ...process.env, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG: 'off', LATCH_LOG_KEY: TEST_LOG_KEY, LATCH_LOG_PUBLISH_DIR: publishDir };
      const run = runLatch(env, ['verify', '--all']);
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).not.toMatch(/every event is in the log$/m);
      expect(run.stdout).toContain('every event is in the log or queued for it (1 queued: no checkpoint vouches for them yet)');
      expect(run.stdout).toMatch(/^coverage: a checkpoint held outside the database covers the first \d+ leaves; the \d+ leaves and 1 queued events after it are vouched for only by this database/m);
      // An auditor's script asks for everything to be covered by a checkpoint held outside the database.
      expectNamed(runLatch(env, ['verify', '--all', '--require-signed']), /^BROKEN {2}log: --require-signed: \d+ leaves after \d+ and 1 queued events are covered by no checkpoint held outside the database$/m);
      const nothingOutside = latch(t, 'verify', '--all', '--require-signed');
      expectNamed(nothingOutside, 'BROKEN  log: --require-signed: no signed checkpoint held outside the database vouches for this log');
    });
  });

  it('(f) the log rolled back and re-signed with a new key', async () => {
    await withTamperedLatch(async (t) => {
      // Two more cases; the checkpoint covering them is published, then history is cut before them.
      const [firstGone] = await createCases(t, 2);
      await t.ctx.log.sequencer.drain();
      const published = latch(t, 'log', 'checkpoint');
      expect(published.status).toBe(0);
      const publishedFile = file('published-checkpoint.txt', published.stdout);
      const publishedSize = Number(published.stdout.split('\n')[1]);
      const forgerKey = generateSignerKey('latch.test/log');
      const rolledBack = await asSuperuser(t, async (db) => {
        const cut = (await eventsOf(db, firstGone!))[0]!.position;
        const { rows: later } = await db.query<{ stream: string }>('select distinct e.stream from events e join log_leaves l on l.event_id = e.id where l.position >= $1', [cut]);
        await db.query('delete from events where id in (select event_id from log_leaves where position >= $1)', [cut]);
        for (const { stream } of later) {
          const remaining = await eventsOf(db, stream);
          if (remaining.length === 0) await db.query('delete from stream_heads where stream = $1', [stream]);
          else await db.query('update stream_heads set seq = $1, hash = $2 where stream = $3', [remaining.at(-1)!.seq, remaining.at(-1)!.hash, stream]);
        }
        await db.query('delete from log_leaves where position >= $1', [cut]);
        await db.query('delete from log_nodes where (index + 1) * (1::bigint << level) > $1', [cut]);
        await db.query('delete from log_checkpoints where size >= $1', [cut]);
        const { rows } = await db.query<{ hash: Buffer }>('select hash from log_leaves order by position');
        const root = rootOf(rows.map((r) => r.hash));
        const note = signNoteWithKeys(formatCheckpoint({ origin: 'latch.test/log', size: cut, root }), parseSignerKeys(forgerKey));
        await db.query('insert into log_checkpoints (size, root, note, signers) values ($1, $2, $3, $4)', [cut, root, note, [verifierKeyOf(forgerKey)]]);
        return cut;
      });
      expect(rolledBack).toBeLessThan(publishedSize);
      expectNamed(latch(t, 'verify', '--all', '--trust', REAL_KEYS), `BROKEN  log: checkpoint ${rolledBack}: signed by no key trusted for this size`);
      // Even an auditor who was handed the forger's key sees the rollback from the checkpoint they hold.
      const forgerTrust = file('forger-keys.txt', `${verifierKeyOf(forgerKey)}\n${verifierKeyOf(TEST_LOG_KEY)} until=${publishedSize}\n`);
      const since = latch(t, 'verify', '--all', '--trust', forgerTrust, '--since', publishedFile);
      expectNamed(since, `BROKEN  log: the --since checkpoint (size ${publishedSize}) covers ${publishedSize} leaves but the log has ${rolledBack}: the log was rolled back`);
      expect(since.stdout).not.toMatch(/BROKEN {2}stream/);
      expect(since.stdout).not.toContain('extends');
      // Without --since: the checkpoint Latch published beside trust.txt (outside the database) shows the rollback by default.
      const publishDir = mkdtempSync(join(dir, 'published-'));
      writeFileSync(join(publishDir, 'checkpoint'), published.stdout);
      const byDefault = runLatch(
        { ...process.env, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG: 'off', LATCH_LOG_KEY: TEST_LOG_KEY, LATCH_LOG_PUBLISH_DIR: publishDir },
        ['verify', '--all', '--trust', forgerTrust],
      );
      expectNamed(byDefault, `BROKEN  log: the published checkpoint (${join(publishDir, 'checkpoint')}) (size ${publishedSize}) covers ${publishedSize} leaves but the log has ${rolledBack}: the log was rolled back`);
      expect(byDefault.stdout).not.toContain('extends');
    });
  }, 180_000); // CLI processes in turn on a rolled-back database: 24 s alone
});

describe('latch verify <bundle> names what was changed in an evidence bundle', () => {
  it('(g) an edited attachment or event, an untrusted signing key, a --since checkpoint of another log', async () => {
    const t = await startTestLatch('postgres');
    const other = await startTestLatch('pglite');
    try {
      const [id] = await createCases(t, 1);
      const receipt = Buffer.from('receipt 1042: 49.99 USD');
      const attached = await t.app.inject({
        method: 'POST',
        url: `/api/v1/cases/${id}/attachments?filename=receipt.txt`,
        headers: { ...bearer(t.users.operator), 'content-type': 'text/plain' },
        payload: receipt,
      });
      expect(attached.statusCode).toBe(201);
      const exported = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${id}/exports`, headers: bearer(t.users.admin), payload: {} });
      expect(exported.statusCode, exported.body).toBe(201);
      // Another Latch with the same key name and key: its log is a different tree.
      await other.ctx.log.sequencer.drain();
      const otherCheckpoint = (await other.app.inject({ method: 'GET', url: '/api/v1/log/checkpoint', headers: bearer(other.users.admin) })).body;
      const otherSize = Number(otherCheckpoint.split('\n')[1]);
      const download = await t.app.inject({ method: 'GET', url: `${exported.json().bundle}?since=${otherSize}`, headers: bearer(t.users.admin) });
      expect(download.statusCode, download.body).toBe(200);
      const original = unzipSync(download.rawPayload);
      const textOf = (name: string) => Buffer.from(original[name]!).toString('utf8');
      const verify = (name: string, files: Record<string, Uint8Array>, ...options: string[]) => {
        const bundle = file(name, zipSync(files));
        return runLatch({ ...process.env, LATCH_LOG: 'off' }, ['verify', bundle, '--trust', REAL_KEYS, ...options]);
      };
      const withManifestFixed = (files: Record<string, Uint8Array>) => {
        const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8'));
        for (const name of Object.keys(manifest.files)) manifest.files[name] = sha256(files[name]!);
        return { ...files, 'manifest.json': Buffer.from(JSON.stringify(manifest)) };
      };

      const untouched = verify('untouched.zip', original);
      expect(untouched.status, untouched.stdout).toBe(0);
      expect(lines(untouched).at(-2)).toBe('VERIFIED');

      const blob = `blobs/${sha256(receipt)}`;
      const editedBlob = { ...original, [blob]: Buffer.from('receipt 1042: 4999.00 USD') };
      expectNamed(verify('blob.zip', editedBlob), `  - ${blob}: SHA-256 does not match the manifest`, `  - ${blob}: content does not match its SHA-256`);
      const blobFixed = verify('blob-manifest-fixed.zip', withManifestFixed(editedBlob));
      expectNamed(blobFixed, `  - ${blob}: content does not match its SHA-256`);
      expect(blobFixed.stdout).not.toContain('does not match the manifest');

      // Exports write format 3: every event in events.jsonl, one line each, and one inclusion proof
      // for all; the manifest lists no hash for either, nor for story.txt, since the checks read every byte.
      const manifest = JSON.parse(textOf('manifest.json')) as { format: string; files: Record<string, string> };
      expect(manifest.format).toBe('latch-evidence-bundle@3');
      expect(Object.keys(manifest.files).filter((name) => ['events.jsonl', 'inclusion.txt', 'story.txt'].includes(name))).toEqual([]);
      const eventLines = textOf('events.jsonl').split('\n');
      const editedEvent = withManifestFixed({ ...original, 'events.jsonl': Buffer.from(eventLines.map((l, i) => (i === 1 ? flipOneByte(l) : l)).join('\n')) });
      expectNamed(
        verify('event.zip', editedEvent),
        '  - events.jsonl line 3: previous-hash link is broken (prev is not the SHA-256 of event 2)',
        "  - inclusion.txt: the events' leaves and its hashes do not lead to the checkpoint's root: some event is not at its listed index of the signed log",
      );

      const strangerKeys = file('stranger-keys.txt', `${verifierKeyOf(generateSignerKey('latch.test/log'))}\n`);
      const stranger = runLatch({ ...process.env }, ['verify', file('stranger.zip', zipSync(original)), '--trust', strangerKeys]);
      expectNamed(stranger, '  - checkpoint: signed by no trusted key');

      const forked = verify('since-other-log.zip', original, '--since', file('other-checkpoint.txt', otherCheckpoint));
      const size = Number(textOf('checkpoint').split('\n')[1]);
      expectNamed(forked, `  - consistency/${otherSize}-${size}.txt: does not prove that tree ${size} extends tree ${otherSize}: history was rewritten, or these are different logs`);
      const elsewhereKey = generateSignerKey('elsewhere.example/log');
      const elsewhere = signNoteWithKeys(formatCheckpoint({ origin: 'elsewhere.example/log', size: 1, root: leafHash(Buffer.from('x')) }), parseSignerKeys(elsewhereKey));
      const bothKeys = file('both-keys.txt', `${verifierKeyOf(TEST_LOG_KEY)}\n${verifierKeyOf(elsewhereKey)}\n`);
      const otherOrigin = runLatch({ ...process.env }, ['verify', file('since-elsewhere.zip', zipSync(original)), '--trust', bothKeys, '--since', file('elsewhere.txt', elsewhere)]);
      expectNamed(otherOrigin, '  - since: your checkpoint is for log elsewhere.example/log, not latch.test/log');

      // One reading of the zip: a member whose bytes no longer match its CRC-32 is refused in one line.
      const stored = Buffer.from(zipSync(original, { level: 0 }));
      const at = stored.indexOf(Buffer.from(textOf('checkpoint')));
      stored[at] = stored[at]! ^ 0x01;
      const corrupt = runLatch({ ...process.env }, ['verify', file('corrupt.zip', stored), '--trust', REAL_KEYS]);
      expect(corrupt.status).toBe(3);
      expect(corrupt.stderr.trim()).toMatch(/^[^\n]*corrupt\.zip: refused: checkpoint: CRC-32 mismatch: the member is corrupt or was altered$/);

      // --since naming a missing file or a directory: one line with a code, no stack (verify and export).
      for (const args of [
        ['verify', file('ok.zip', zipSync(original)), '--trust', REAL_KEYS, '--since', join(dir, 'no-such-checkpoint.txt')],
        ['verify', '--all', '--since', dir],
        ['export', id!, '-o', join(dir, 'never.zip'), '--since', dir],
        ['export', id!, '-o', join(dir, 'never.zip'), '--since', join(dir, 'no-such-checkpoint.txt'), '--json'],
      ]) {
        const run = runLatch({ ...process.env, LATCH_DATABASE_URL: t.databaseUrl!, LATCH_LOG: 'off' }, args);
        expect(run.status, run.stderr).toBe(1);
        expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
        expect(run.stderr).not.toMatch(/ENOENT|EISDIR|\n\s+at /);
        expect(run.stderr).toMatch(args.includes('--json') ? /"code":"CHECKPOINT_FILE_NOT_FOUND"/ : /--since .*: (no such file|not a file)/);
      }
    } finally {
      await other.close();
      await t.close();
    }
  }, 180_000); // a dozen `latch verify` processes: 40-45 s alone, near the default minute under CI load
});

describe('an honest export through the CLI', () => {
  it('latch export against latch serve verifies with the published key, and still after an erasure', async () => {
    const dataDir = mkdtempSync(join(dir, 'embedded-'));
    const env = latchEnv(dataDir);
    expect(runLatch({ ...env, LATCH_USER_PASSWORD: 'export test password' }, ['user', 'create', '--email', 'auditor@test.example', '--name', 'Auditor', '--role', 'admin']).status).toBe(0);
    const token = runLatch(env, ['token', 'create', '--user', 'auditor@test.example', '--name', 'export']).stdout.trim();
    const server = await startServer(env);
    const client = { ...env, LATCH_URL: server.base, LATCH_TOKEN: token };
    const api = (method: string, path: string, body?: unknown, type = 'application/json') =>
      fetch(`${server.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': type }) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    try {
      const created = await api('POST', '/api/v1/cases', refundBody());
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { id: string }).id;
      expect((await api('POST', `/api/v1/cases/${id}/attachments?filename=receipt.txt`, 'receipt 1042', 'text/plain')).status).toBe(201);
      expect(runLatch(client, ['case', 'note', id, 'called the customer']).status).toBe(0);
      // The auditor keeps a checkpoint, more happens, then they export with --since it.
      let held = await api('GET', '/api/v1/log/checkpoint');
      for (let i = 0; i < 50 && held.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        held = await api('GET', '/api/v1/log/checkpoint');
      }
      const heldFile = file('held-checkpoint.txt', await held.text());
      expect(runLatch(client, ['case', 'note', id, 'refund sent']).status).toBe(0);
      const keys = runLatch(env, ['log', 'key']);
      expect(keys.status, keys.stderr).toBe(0);
      const keysFile = file('embedded-keys.txt', keys.stdout);
      const bundle = join(dir, 'exported.zip');
      const exported = runLatch(client, ['export', id, '-o', bundle, '--since', heldFile]);
      expect(exported.status, exported.stderr).toBe(0);
      expect(exported.stdout).toMatch(/: 5 events \(case head 4, then case.exported\)/);

      const verified = runLatch(env, ['verify', bundle, '--trust', keysFile, '--since', heldFile]);
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(/✓ consistency +your checkpoint \(tree size \d+\) and the bundle's \(tree size \d+\) are of one append-only log/);
      expect(lines(verified).at(-2)).toBe('VERIFIED');
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
    expect(runLatch(env, ['verify', '--all']).status).toBe(0);
    const erased = runLatch(env, ['erase', '--subject', 'jane@customer.example', '--reason', 'TICKET-1', '--yes']);
    expect(erased.status, erased.stdout + erased.stderr).toBe(0);
    const afterErasure = runLatch(env, ['verify', '--all']);
    expect(afterErasure.status, afterErasure.stdout + afterErasure.stderr).toBe(0);
    expect(afterErasure.stdout).toContain('OK: every chain verifies');
    // A dozen CLI processes in turn, each opening the embedded database: 40-50 s alone, more under a
    // loaded CI machine, which passed the default minute (the time is the processes', not the checks').
  }, 180_000);
});
