import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { readConfig, type LatchConfig } from '../src/config.js';
import type { LatchContext } from '../src/context.js';
import { buildApp, type LatchApp } from '../src/http/app.js';
import { openLatch } from '../src/runtime.js';
import { createUser } from '../src/auth/users.js';
import { createToken } from '../src/auth/tokens.js';
import { generateSignerKey } from '@latch/core';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrations.js';
import { POSTGRES_TEMPLATE_INFIX } from './global-setup.js';
import { migratedDump, migrationsHash } from './pglite-template.js';

export type DbKind = 'pglite' | 'postgres';
/** Every API scenario runs on both databases. */
export const DB_KINDS: readonly DbKind[] = ['pglite', 'postgres'];

export const POSTGRES_URL = process.env.LATCH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The log signing key of every test Latch in this process (CLI runs on the same database need it too). */
export const TEST_LOG_KEY = generateSignerKey('latch.test/log');

/**
 * The configuration tests run on: the case types and teams the repository ships, copied once per
 * test process. Whatever else an install adds to `config/` (a plugins.yaml, by following the
 * README) never reaches a test; a test that needs plugins writes its own beside a copy of this.
 */
export const TEST_CONFIG_DIR = shippedConfigCopy();

function shippedConfigCopy(): string {
  const repoConfig = fileURLToPath(new URL('../../../config', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'latch-test-config-'));
  cpSync(join(repoConfig, 'case-types'), join(dir, 'case-types'), { recursive: true });
  cpSync(join(repoConfig, 'teams.yaml'), join(dir, 'teams.yaml'));
  cpSync(join(repoConfig, 'roles.yaml'), join(dir, 'roles.yaml'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** @deprecated The old name of TEST_CONFIG_DIR (no longer the repository's own folder). */
export const REPO_CONFIG_DIR = TEST_CONFIG_DIR;

/**
 * Test databases are named after the test run (set by test/global-setup.ts), whose teardown drops
 * every database of the run that a failed or interrupted test left behind.
 */
export const TEST_DATABASE_PREFIX = `latch_test_${process.env.LATCH_TEST_RUN ?? 'adhoc'}_`;

const databaseUrl = (name: string) => {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

/**
 * A fresh PostgreSQL database for one test file, empty or (`from`) a copy of a template database;
 * dropped by the returned function.
 */
export async function freshPostgresDatabase(from?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}${from ? ` template ${from}` : ''}`);
  await admin.end();
  return {
    url: databaseUrl(name),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/**
 * Test Latches start from migrated templates (below, and pglite-template.ts) within a Vitest run,
 * whose global teardown removes them; a harness used outside one migrates each database itself.
 */
const RUN_TEMPLATES = process.env.LATCH_TEST_RUN !== undefined;

let migratedTemplate: Promise<string> | undefined;

/**
 * A database with every migration applied, made once per run (the first process to get the lock
 * makes it, under a temporary name renamed when done) for test Latches to copy: a copy takes ~0.3 s,
 * migrating an empty database ~0.8 s. Named with the run's prefix, so the global teardown drops it.
 */
function migratedPostgresTemplate(): Promise<string> {
  migratedTemplate ??= (async () => {
    const name = `${TEST_DATABASE_PREFIX}${POSTGRES_TEMPLATE_INFIX}${migrationsHash()}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    try {
      await admin.query('select pg_advisory_lock(hashtext($1))', [name]);
      if ((await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 0) {
        const making = `${name}_making`;
        await admin.query(`drop database if exists ${making}`);
        await admin.query(`create database ${making}`);
        const database = await openDatabase({ url: databaseUrl(making), poolSize: 1 });
        try {
          await migrate(database);
        } finally {
          await database.close();
        }
        await admin.query(`alter database ${making} rename to ${name}`);
      }
    } finally {
      await admin.end(); // the session's end releases its advisory lock
    }
    return name;
  })();
  return migratedTemplate;
}

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}

export interface TestLatch {
  readonly app: LatchApp;
  readonly ctx: LatchContext;
  /** The PostgreSQL database's URL (postgres runs only). */
  readonly databaseUrl: string | undefined;
  readonly users: Record<'admin' | 'operator' | 'approver' | 'approver2' | 'requester' | 'outsider', TestUser>;
  close(): Promise<void>;
}

/** Test Latches report only warnings and errors (startup info would drown the test output). */
const quietLog = (level: 'info' | 'warn' | 'error', message: string) => {
  if (level !== 'info') console.error(`${level} ${message}`);
};

export const PASSWORD = 'correct horse battery staple';

/** A Latch on a fresh database of the given kind, with the repo's demo config and one user per role. */
export async function startTestLatch(kind: DbKind, env: Record<string, string> = {}): Promise<TestLatch> {
  const pgdb = kind === 'postgres' ? await freshPostgresDatabase(RUN_TEMPLATES ? await migratedPostgresTemplate() : undefined) : undefined;
  const config: LatchConfig = readConfig({
    LATCH_CONFIG_DIR: TEST_CONFIG_DIR,
    LATCH_LOG_KEY: TEST_LOG_KEY,
    LATCH_LOG_INTERVAL_MS: '100',
    ...(pgdb ? { LATCH_DATABASE_URL: pgdb.url } : {}),
    ...env,
  });
  try {
    return await startOn(kind, config, pgdb);
  } catch (error) {
    await pgdb?.drop().catch(() => undefined);
    throw error;
  }
}

async function startOn(kind: DbKind, config: LatchConfig, pgdb: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined): Promise<TestLatch> {
  const inMemory = kind === 'pglite';
  const latch = await openLatch(config, { inMemory, inMemoryFrom: inMemory && RUN_TEMPLATES ? await migratedDump() : undefined, migrate: true, log: quietLog });
  let app: LatchApp | undefined;
  try {
    app = await buildApp(latch.ctx);
    return await withUsers(app, latch, pgdb);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await latch.close().catch(() => undefined);
    throw error;
  }
}

async function withUsers(app: LatchApp, latch: Awaited<ReturnType<typeof openLatch>>, pgdb: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined): Promise<TestLatch> {
  const system = { type: 'system', id: 'test' } as const;
  const make = async (email: string, roles: string[], teams: string[]): Promise<TestUser> => {
    const user = await latch.ctx.database.write((tx) => createUser(tx, { email, name: email.split('@')[0]!, password: PASSWORD, roles, teams }, system, undefined, latch.ctx.roles));
    const { token } = await latch.ctx.database.write((tx) => createToken(tx, user, { name: 'test', scopes: ['*'] }, system, undefined, latch.ctx.roles));
    return { id: user.id, email, token };
  };
  const users = {
    admin: await make('admin@test.example', ['admin'], []),
    operator: await make('operator@test.example', ['operator'], ['refunds']),
    approver: await make('approver@test.example', ['refund_approver'], ['refunds']),
    approver2: await make('approver2@test.example', ['refund_approver'], ['refunds']),
    requester: await make('requester@test.example', ['requester'], []),
    outsider: await make('outsider@test.example', ['operator'], ['elsewhere']),
  };
  return {
    app,
    ctx: latch.ctx,
    databaseUrl: pgdb?.url,
    users,
    close: async () => {
      await app.close();
      await latch.close();
      await pgdb?.drop();
    },
  };
}

export const bearer = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });

/** A valid refund case body. */
export function refundBody(overrides: Record<string, unknown> = {}) {
  return {
    type: 'refund',
    title: 'Refund for order 1042',
    requester: { email: 'jane@customer.example', name: 'Jane Doe' },
    fields: { order_id: '1042', amount_minor: 4999, currency: 'usd', payment_intent: 'pi_123', customer_email: 'jane@customer.example' },
    ...overrides,
  };
}

/** Session headers (cookie + CSRF token) for a user: people decide approvals in sessions, not with tokens. */
export async function sessionFor(app: LatchApp, user: TestUser): Promise<Record<string, string>> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: PASSWORD } });
  const cookie = res.cookies.find((c) => c.name === 'latch_session');
  if (!cookie) throw new Error(`login failed for ${user.email}: ${res.body}`);
  return { cookie: `latch_session=${cookie.value}`, 'x-csrf-token': res.json().csrfToken };
}
