import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addWitnessCheck, formatAddCheckpoint, formatCheckpoint, generateSignerKey, parseSignerKeys, parseTrustFile, parseWitnessList, rootOf, signNoteWithKeys, verifyBundle } from '@latch/core';
import { asc, count, desc, eq, lt } from 'drizzle-orm';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logCheckpoints, logCosignatures, logLeaves } from '../src/db/schema.js';
import { plainRequest } from './http-support.js';
import { bearer, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';
import { TEST_NODE_FLAGS } from './node-flags.js';
import { exited, freePort, LATCH_BIN, latchEnv, runLatch } from './process.js';

/**
 * A real `latch witness serve` process and a real Latch: checkpoints are cosigned over the C2SP
 * tlog-witness protocol, bundles carry the cosignatures and `latch verify --witness` checks them;
 * the witness refuses rollbacks and forks; a witness that is down delays cosigning, never cases.
 */
describe('witnesses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latch-witness-test-'));
  const witnessDir = join(dir, 'witness');
  const logKey = parseSignerKeys(TEST_LOG_KEY)[0]!;
  // A second log, on PostgreSQL, that the same witness also accepts.
  const pgLogKeyText = generateSignerKey('latch.test/pg-log');
  const pgLogKey = parseSignerKeys(pgLogKeyText)[0]!;
  const trustFile = join(dir, 'trust.txt');
  const policyFile = join(dir, 'witnesses.txt');
  const witnessKeysFile = join(dir, 'witness-keys.txt');
  const publishDir = join(dir, 'published');
  let port: number;
  let witness: ChildProcess | undefined;
  let witnessKey: string;
  let a: TestLatch;

  async function startWitness(): Promise<{ verifierKey: string }> {
    const child = spawn(process.execPath, [...TEST_NODE_FLAGS, LATCH_BIN, 'witness', 'serve', '--data-dir', witnessDir, '--logs', join(dir, 'witness-logs.txt'), '--listen', `127.0.0.1:${port}`, '--name', 'witness.test/w1', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    witness = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`latch witness serve exited ${code}: ${stderr}`)));
    });
    return JSON.parse(line) as { verifierKey: string };
  }

  async function stopWitness(): Promise<void> {
    const child = witness;
    witness = undefined;
    if (!child) return;
    child.kill('SIGTERM');
    await exited(child);
  }

  async function createCase(t: TestLatch): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
    expect(res.statusCode, res.body).toBe(201);
    return (res.json() as { id: string }).id;
  }

  async function newestCosignedSize(t: TestLatch): Promise<number> {
    const [row] = await t.ctx.database.db.select({ size: logCosignatures.size }).from(logCosignatures).orderBy(desc(logCosignatures.size)).limit(1);
    return row?.size ?? 0;
  }

  async function newestCheckpointSize(t: TestLatch): Promise<number> {
    await t.ctx.log.sequencer.drain();
    const [row] = await t.ctx.database.db.select({ size: logCheckpoints.size }).from(logCheckpoints).orderBy(desc(logCheckpoints.size)).limit(1);
    return row?.size ?? 0;
  }

  /** Waits until the newest checkpoint is cosigned (the witnesses answer in the background). */
  async function cosignedUpTo(t: TestLatch, timeoutMs = 90_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const size = await newestCheckpointSize(t);
      t.ctx.log.witnesses!.kick();
      if ((await newestCosignedSize(t)) >= size) return size;
      if (Date.now() > deadline) throw new Error(`checkpoint ${size} was not cosigned in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function exportBundle(t: TestLatch, caseId: string, name: string): Promise<string> {
    const exported = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/exports`, headers: bearer(t.users.admin), payload: {} });
    expect(exported.statusCode, exported.body).toBe(201);
    const zip = await t.app.inject({ method: 'GET', url: (exported.json() as { bundle: string }).bundle, headers: bearer(t.users.admin) });
    expect(zip.statusCode, zip.body).toBe(200);
    const file = join(dir, name);
    writeFileSync(file, zip.rawPayload);
    return file;
  }

  /** POSTs to the witness directly, on a connection of its own (none left idle for the witness to close under it). */
  const postToWitness = (body: string) => plainRequest(port, body, '/add-checkpoint', 'POST');

  const verify = (bundle: string, ...extra: string[]) => runLatch(latchEnv(join(dir, 'verifier')), ['verify', bundle, '--trust', trustFile, ...extra]);

  beforeAll(async () => {
    writeFileSync(trustFile, `${logKey.verifierKey}\n`);
    writeFileSync(join(dir, 'witness-logs.txt'), `${logKey.verifierKey}\n${pgLogKey.verifierKey}\n`);
    port = await freePort();
    witnessKey = (await startWitness()).verifierKey;
    writeFileSync(policyFile, `# the witnesses Latch submits checkpoints to\nlog ${logKey.verifierKey}\nwitness w1 ${witnessKey} http://127.0.0.1:${port}\nquorum w1\n`);
    writeFileSync(witnessKeysFile, `${witnessKey}\n`);
    a = await startTestLatch('pglite', { LATCH_WITNESSES: policyFile, LATCH_WITNESS_RETRY_MAX_MS: '300', LATCH_LOG_PUBLISH_DIR: publishDir });
  }, 240_000);

  afterAll(async () => {
    await a?.close();
    await stopWitness();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its verifier key, a cosignature/v1 key of type 0x04', () => {
    const printed = runLatch(latchEnv(join(dir, 'unused')), ['witness', 'key', '--data-dir', witnessDir]);
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout.trim()).toBe(witnessKey);
    expect(Buffer.from(witnessKey.split('+')[2]!, 'base64')[0]).toBe(0x04);
  });

  it('cosigns the checkpoints; the exported bundle carries the cosignature and verifies with --min-witnesses 1', async () => {
    const caseId = await createCase(a);
    await createCase(a);
    const size = await cosignedUpTo(a);
    expect(size).toBeGreaterThan(0);
    // The witness keeps the latest checkpoint it cosigned, in its own storage.
    const state = readdirSync(join(witnessDir, 'state'));
    expect(state).toHaveLength(1);
    expect(readFileSync(join(witnessDir, 'state', state[0]!), 'utf8')).toContain(`\n${size}\n`);
    // The cosigned checkpoint is published beside the plain one.
    const published = readFileSync(join(publishDir, 'checkpoint.cosigned'), 'utf8');
    expect(published).toMatch(/\n— witness\.test\/w1 \S+\n$/);

    const bundle = await exportBundle(a, caseId, 'cosigned.zip');
    const note = Buffer.from(unzipSync(readFileSync(bundle))['checkpoint']!).toString('utf8');
    expect(note.split('\n').filter((l) => l.startsWith('— '))).toEqual([expect.stringMatching(/^— latch\.test\/log /), expect.stringMatching(/^— witness\.test\/w1 /)]);

    const plain = verify(bundle);
    expect(plain.status, plain.stdout + plain.stderr).toBe(0);
    const witnessed = verify(bundle, '--witness', witnessKeysFile, '--min-witnesses', '1');
    expect(witnessed.status, witnessed.stdout + witnessed.stderr).toBe(0);
    expect(witnessed.stdout).toMatch(/✓ witnesses\s+cosigned by witness\.test\/w1 \(/);
    // The policy file itself serves as the auditor's witness list, its quorum applying.
    expect(verify(bundle, '--witness', policyFile).status).toBe(0);
    // Asking for more witnesses than cosigned fails, with the reason.
    const other = runLatch(latchEnv(join(dir, 'unused')), ['witness', 'key', '--generate', 'witness.test/w2', '--json']);
    writeFileSync(join(dir, 'two-witnesses.txt'), `${witnessKey}\n${(JSON.parse(other.stdout) as { verifierKey: string }).verifierKey}\n`);
    const two = verify(bundle, '--witness', join(dir, 'two-witnesses.txt'), '--min-witnesses', '2');
    expect(two.status).toBe(3);
    expect(two.stdout).toContain('the checkpoint is cosigned by 1 listed witness(es); 2 of the 2 listed witness(es) must cosign it');
  }, 240_000);

  it('refuses bad flags and bad witness files in one line', async () => {
    const bundle = join(dir, 'cosigned.zip');
    const noList = verify(bundle, '--min-witnesses', '1');
    expect(noList.status).toBe(1);
    expect(noList.stderr).toBe('latch: --min-witnesses counts cosignatures by the witnesses you trust: pass --witness <file> listing their keys\n');
    expect(verify(bundle, '--witness', witnessKeysFile, '--min-witnesses', 'two').stderr).toBe('latch: --min-witnesses two: want a whole number from 1\n');
    writeFileSync(join(dir, 'bad-witnesses.txt'), `${logKey.verifierKey}\n`);
    const wrongType = verify(bundle, '--witness', join(dir, 'bad-witnesses.txt'));
    expect(wrongType.status).toBe(1);
    expect(wrongType.stderr).toMatch(/^latch: .*bad-witnesses\.txt: policy, line 1: witness key has signature type 0x01; a cosignature\/v1 Ed25519 key has type 0x04\n$/);
  }, 240_000);

  it('refuses a rollback: an older genuine checkpoint, whatever old size is claimed', async () => {
    const size = await cosignedUpTo(a);
    const [older] = await a.ctx.database.db.select().from(logCheckpoints).where(lt(logCheckpoints.size, size)).orderBy(desc(logCheckpoints.size)).limit(1);
    expect(older).toBeDefined();
    const post = postToWitness;
    const claimsCurrent = await post(formatAddCheckpoint({ oldSize: size, proof: [], note: older!.note }));
    expect(claimsCurrent.status).toBe(400);
    const claimsNothing = await post(formatAddCheckpoint({ oldSize: 0, proof: [], note: older!.note }));
    expect(claimsNothing.status).toBe(409);
    expect(claimsNothing.headers['content-type']).toBe('text/x.tlog.size');
    expect(claimsNothing.text).toBe(`${size}\n`);
    const garbage = await post('old 1\nnot a hash\n\nnothing');
    expect(garbage.status).toBe(400);
    expect(garbage.text).toBe('proof line 1 is not the base64 of a 32-byte hash\n');
    // The witness still holds the newest size.
    expect(readFileSync(join(witnessDir, 'state', readdirSync(join(witnessDir, 'state'))[0]!), 'utf8')).toContain(`\n${size}\n`);
  });

  it('refuses a forked log signed by the same key, keeps the evidence, and the fork’s bundle fails --min-witnesses', async () => {
    const size = await cosignedUpTo(a);
    // Another Latch with the same log key and another history: a fork, as a stolen key makes one.
    const b = await startTestLatch('pglite', { LATCH_WITNESSES: policyFile, LATCH_WITNESS_RETRY_MAX_MS: '300' });
    try {
      let caseId = '';
      while ((await newestCheckpointSize(b)) <= size) caseId = await createCase(b);
      // The fork's own tree at the witness's size: same size, another root, signed by the log key.
      const leaves = await b.ctx.database.db.select({ hash: logLeaves.hash }).from(logLeaves).orderBy(asc(logLeaves.position)).limit(size);
      const forked = signNoteWithKeys(formatCheckpoint({ origin: logKey.name, size, root: rootOf(leaves.map((l) => l.hash)) }), [logKey]);
      const refused = await postToWitness(formatAddCheckpoint({ oldSize: size, proof: [], note: forked }));
      expect(refused.status).toBe(409);
      expect(refused.headers['x-latch-witness-refusal']).toBe('fork');
      const evidence = readdirSync(join(witnessDir, 'evidence')).filter((f) => f.includes('-fork-'));
      expect(evidence).toHaveLength(1);
      const kept = readFileSync(join(witnessDir, 'evidence', evidence[0]!), 'utf8');
      expect(kept).toContain(forked);

      // B submits its own newer checkpoints itself: the witness refuses every one (it does not extend what it saw).
      const bundle = await exportBundle(b, caseId, 'fork.zip');
      expect(await newestCosignedSize(b)).toBe(0);
      const plain = verify(bundle);
      expect(plain.status, 'the log key alone vouches for the fork').toBe(0);
      const witnessed = verify(bundle, '--witness', witnessKeysFile, '--min-witnesses', '1');
      expect(witnessed.status).toBe(3);
      expect(witnessed.stdout).toContain('the checkpoint is cosigned by 0 listed witness(es); 1 of the 1 listed witness(es) must cosign it');

      // A's cosignature moved onto the fork's checkpoint does not verify.
      const genuine = readFileSync(join(publishDir, 'checkpoint.cosigned'), 'utf8');
      const stolenLine = genuine.split('\n').find((l) => l.startsWith('— witness.test/w1 '))!;
      const files = unzipSync(readFileSync(bundle));
      files['checkpoint'] = Buffer.from(`${Buffer.from(files['checkpoint']!).toString('utf8')}${stolenLine}\n`);
      const { zipSync } = await import('fflate');
      writeFileSync(join(dir, 'fork-stolen.zip'), zipSync(files, { level: 0 }));
      const stolen = verify(join(dir, 'fork-stolen.zip'), '--witness', witnessKeysFile, '--min-witnesses', '1');
      expect(stolen.status).toBe(3);
      expect(stolen.stdout).toMatch(/witness\.test\/w1\+[0-9a-f]{8}: cosignature does not verify/);
    } finally {
      await b.close();
    }
  }, 240_000);

  it('cosigns a log on PostgreSQL too, and its bundle passes the witness check', async () => {
    const pg = await startTestLatch('postgres', { LATCH_LOG_KEY: pgLogKeyText, LATCH_WITNESSES: policyFile, LATCH_WITNESS_RETRY_MAX_MS: '300' });
    try {
      const caseId = await createCase(pg);
      const size = await cosignedUpTo(pg);
      // latch verify --all --witness: the cosignatures stored in the database, against the auditor's witness list.
      const pgTrust = join(dir, 'pg-trust.txt');
      writeFileSync(pgTrust, `${pgLogKey.verifierKey}\n`);
      const verifyAll = (...extra: string[]) => runLatch({ ...latchEnv(join(dir, 'pg-verifier')), LATCH_DATABASE_URL: pg.databaseUrl! }, ['verify', '--all', '--trust', pgTrust, ...extra]);
      const witnessedAll = verifyAll('--witness', witnessKeysFile, '--min-witnesses', '1');
      expect(witnessedAll.status, witnessedAll.stdout + witnessedAll.stderr).toBe(0);
      expect(witnessedAll.stdout).toMatch(/^witnesses: the checkpoint of size \d+ is cosigned by witness\.test\/w1 \(\S+\) \(required 1 of the 1 listed witness\(es\)\); /m);
      const stranger = runLatch(latchEnv(join(dir, 'unused')), ['witness', 'key', '--generate', 'witness.test/stranger', '--json']);
      const strangerKeys = join(dir, 'stranger-witness.txt');
      writeFileSync(strangerKeys, `${(JSON.parse(stranger.stdout) as { verifierKey: string }).verifierKey}\n`);
      const unwitnessed = verifyAll('--witness', strangerKeys);
      expect(unwitnessed.status, unwitnessed.stdout + unwitnessed.stderr).toBe(3);
      expect(unwitnessed.stdout).toContain('BROKEN  witnesses: no checkpoint in the database is cosigned by 1 of the 1 listed witness(es): nothing outside Latch vouches for the log');
      // A cosignature altered in the database no longer verifies: named, and the run fails.
      const [newest] = await pg.ctx.database.db.select().from(logCosignatures).orderBy(desc(logCosignatures.size)).limit(1);
      const signature = newest!.line.trimEnd().split(' ').at(-1)!;
      const altered = Buffer.from(signature, 'base64');
      altered[20] = altered[20]! ^ 1;
      await pg.ctx.database.db.update(logCosignatures).set({ line: newest!.line.replace(signature, altered.toString('base64')) }).where(eq(logCosignatures.size, newest!.size));
      const forged = verifyAll('--witness', witnessKeysFile);
      expect(forged.status, forged.stdout + forged.stderr).toBe(3);
      expect(forged.stdout).toMatch(new RegExp(`^BROKEN  witnesses: checkpoint of size ${newest!.size}: `, 'm'));
      await pg.ctx.database.db.update(logCosignatures).set({ line: newest!.line }).where(eq(logCosignatures.size, newest!.size));
      const bundle = await exportBundle(pg, caseId, 'postgres.zip');
      const files = new Map(Object.entries(unzipSync(readFileSync(bundle))).map(([name, bytes]) => [name, Buffer.from(bytes)]));
      const report = addWitnessCheck(verifyBundle(files, { trusted: parseTrustFile(pgLogKey.verifierKey) }), files, parseWitnessList(witnessKey), { minWitnesses: 1 });
      expect(report.failures).toEqual([]);
      expect(report.checks.find((c) => c.name === 'witnesses')).toMatchObject({ ok: true, detail: expect.stringMatching(/^cosigned by witness\.test\/w1 /) });
      expect(report.checkpoint!.size).toBeGreaterThanOrEqual(size);
      // Another process on the database learns the size the witness holds from log_cosignatures.
      await createCase(pg);
      await pg.ctx.log.sequencer.drain();
      await pg.ctx.log.witnesses!.stop();
      const { WitnessCosigner } = await import('../src/witness/cosigner.js');
      const fresh = new WitnessCosigner(pg.ctx.database, pg.ctx.log.witnesses!.policy, { log: () => undefined, retryMaxMs: 300 });
      await fresh.sync();
      await fresh.stop();
      expect(await newestCosignedSize(pg)).toBe(await newestCheckpointSize(pg));
    } finally {
      await pg.close();
    }
  }, 240_000);

  it('a witness that is down delays cosigning without stopping case work; cosignatures arrive once it is back', async () => {
    const before = await cosignedUpTo(a);
    await stopWitness();
    for (let i = 0; i < 3; i++) await createCase(a);
    const during = await newestCheckpointSize(a);
    expect(during, 'the sequencer keeps signing').toBeGreaterThan(before);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await newestCosignedSize(a)).toBe(before);
    const [{ n }] = (await a.ctx.database.db.select({ n: count() }).from(logCheckpoints).where(lt(logCheckpoints.size, during + 1))) as [{ n: number }];
    expect(Number(n)).toBeGreaterThan(0);

    expect((await startWitness()).verifierKey).toBe(witnessKey);
    // No kick from the test: the cosigner's own retry reaches it.
    const deadline = Date.now() + 90_000;
    while ((await newestCosignedSize(a)) < during) {
      if (Date.now() > deadline) throw new Error('the cosignature never arrived after the witness came back');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await newestCosignedSize(a)).toBeGreaterThanOrEqual(during);
    expect(existsSync(join(publishDir, 'checkpoint.cosigned'))).toBe(true);
  }, 240_000);
});
