import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { writeBackup } from '../src/backup/write-backup.js';
import { readConfig } from '../src/config.js';
import { buildApp, type LatchApp } from '../src/http/app.js';
import { openLatch, type OpenLatch } from '../src/runtime.js';
import { refundBody, TEST_CONFIG_DIR, TEST_LOG_KEY } from './harness.js';

// Values only this test writes, so a hit anywhere in the data directory is one of them.
const NAME = 'Quillon Vantrebeck';
const EMAIL = 'quillon.vantrebeck@erasure-disk.example';
const NOTE = 'Vantrebeck-callback-4471 at the Zarnowiec depot';
const SECRETS = [NAME, EMAIL, NOTE, 'Vantrebeck', 'vantrebeck', 'Zarnowiec'];

/** Every file under dir holding any of the values' UTF-8 bytes, with the values it holds. */
function filesHolding(dir: string, values: readonly string[]): string[] {
  const needles = values.map((v) => [v, Buffer.from(v, 'utf8')] as const);
  const hits: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const bytes = readFileSync(path);
        const found = needles.filter(([, needle]) => bytes.includes(needle)).map(([v]) => v);
        if (found.length > 0) hits.push(`${relative(dir, path)}: ${found.join(', ')}`);
      }
    }
  };
  walk(dir);
  return hits;
}

describe('erasure reaches the disk (embedded PGlite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latch-erasure-disk-'));
  let latch: OpenLatch;
  let app: LatchApp;
  let admin: string;
  let operator: string;

  beforeAll(async () => {
    const config = readConfig({ LATCH_DATA_DIR: dataDir, LATCH_CONFIG_DIR: TEST_CONFIG_DIR, LATCH_LOG_KEY: TEST_LOG_KEY, LATCH_LOG_INTERVAL_MS: '100' });
    latch = await openLatch(config, { migrate: true, log: () => undefined });
    app = await buildApp(latch.ctx);
    const system = { type: 'system', id: 'test' } as const;
    const person = async (email: string, roles: string[], teams: string[]) => {
      const user = await latch.ctx.database.write((tx) => createUser(tx, { email, name: email, password: 'correct horse battery staple', roles, teams }, system, undefined, latch.ctx.roles));
      return (await latch.ctx.database.write((tx) => createToken(tx, user, { name: 'test', scopes: ['*'] }, system, undefined, latch.ctx.roles))).token;
    };
    admin = await person('admin@test.example', ['admin'], []);
    operator = await person('operator@test.example', ['operator'], ['refunds']);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await latch?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('after POST /api/v1/erasures, no file under the data directory holds the name, the email or the note', async () => {
    const op = { authorization: `Bearer ${operator}` };
    const body = refundBody({
      title: `Refund for ${NAME}`,
      description: `${NAME} wrote from ${EMAIL}`,
      requester: { email: EMAIL, name: NAME },
      fields: { order_id: '77', amount_minor: 1200, currency: 'usd', payment_intent: 'pi_77', customer_email: EMAIL },
    });
    const created = await app.inject({ method: 'POST', url: '/api/v1/cases', headers: op, payload: body });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: op, payload: { body: NOTE } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'PATCH', url: `/api/v1/cases/${id}`, headers: op, payload: { version: 1, title: `Refund for ${NAME}, order 77` } })).statusCode).toBe(200);
    const other = await app.inject({ method: 'POST', url: '/api/v1/cases', headers: op, payload: refundBody({ title: 'receipt-of-the-other-case' }) });
    expect(other.statusCode).toBe(201);
    // Before: the values are on disk (in the WAL at least), so the search below can find them.
    expect(filesHolding(dataDir, SECRETS).length).toBeGreaterThan(0);

    const erased = await app.inject({ method: 'POST', url: '/api/v1/erasures', headers: { authorization: `Bearer ${admin}` }, payload: { subject: EMAIL, reason: 'ticket 9' } });
    expect(erased.statusCode).toBe(200);
    expect(erased.json().cases).toEqual([id]);
    const shown = await app.inject({ method: 'GET', url: `/api/v1/cases/${id}`, headers: op });
    expect(JSON.stringify(shown.json())).not.toMatch(/vantrebeck|zarnowiec/i);

    // The vacuum runs after the answer; it ends well within this wait.
    let hits = filesHolding(dataDir, SECRETS);
    for (let i = 0; i < 120 && hits.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      hits = filesHolding(dataDir, SECRETS);
    }
    expect(hits).toEqual([]);
    // A backup taken now holds none of it either (the values are gone from the tables).
    const backup = join(dataDir, 'after-erasure.backup');
    await writeBackup({ database: latch.ctx.database, latchVersion: '0.1.0', currentKeys: [] }, backup);
    const unpacked = gunzipSync(readFileSync(backup));
    expect(unpacked.includes(Buffer.from('receipt-of-the-other-case'))).toBe(true);
    for (const secret of SECRETS) expect(unpacked.includes(Buffer.from(secret)), secret).toBe(false);
    rmSync(backup);
    // Still there and working: the data written since.
    expect((await app.inject({ method: 'POST', url: `/api/v1/cases/${id}/notes`, headers: op, payload: { body: 'after the erasure' } })).statusCode).toBe(201);
  }, 180_000);
});
