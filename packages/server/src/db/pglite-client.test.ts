import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { integer, pgTable, timestamp } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { drizzleClient } from './pglite-client.js';

const stamps = pgTable('stamps', { id: integer('id').primaryKey(), at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull() });
const TIMES = `select '2026-03-01 10:00:00.123456+00'::timestamptz as tz, '2026-03-01 10:00:00.5'::timestamp as ts, '2026-03-01'::date as d,
  '1 day 02:00:00'::interval as i, array['2026-03-01 10:00:00+00'::timestamptz] as tzs, array[1.50]::numeric[] as ns, 42 as n, array['a', 'b'] as texts`;

describe('drizzleClient (PGlite)', () => {
  let plain: PGlite;
  let wrapped: PGlite;
  let underlying: PGlite;
  beforeAll(async () => {
    plain = await PGlite.create();
    underlying = await PGlite.create();
    wrapped = drizzleClient(underlying);
    for (const client of [plain, underlying]) await client.exec(`create table stamps (id integer primary key, at timestamptz not null); insert into stamps values (1, '2026-03-01 10:00:00.123+00')`);
  });
  afterAll(async () => {
    await plain?.close();
    await underlying?.close();
  });

  it('gives Drizzle the results the plain client gives it, in and out of transactions, without passing parsers to PGlite', async () => {
    const query = vi.spyOn(underlying, 'query');
    const before = drizzle({ client: plain });
    const after = drizzle({ client: wrapped });
    expect(await after.execute(sql.raw(TIMES))).toEqual(await before.execute(sql.raw(TIMES)));
    expect(await after.select().from(stamps)).toEqual(await before.select().from(stamps));
    expect(await after.transaction((tx) => tx.select().from(stamps))).toEqual(await before.transaction((tx) => tx.select().from(stamps)));
    expect((await after.select().from(stamps))[0]!.at).toEqual(new Date('2026-03-01T10:00:00.123Z'));
    expect(query.mock.calls.length).toBeGreaterThan(0);
    expect(query.mock.calls.every(([, , options]) => options?.parsers === undefined)).toBe(true);
    query.mockRestore();
  });

  it('gives every other caller what the plain client gives it: dates as Date, in and out of transactions', async () => {
    const expected = (await plain.query(TIMES)).rows;
    expect((await wrapped.query(TIMES)).rows).toEqual(expected);
    expect((await wrapped.query(TIMES)).rows[0]).toMatchObject({ tz: new Date('2026-03-01T10:00:00.123Z'), n: 42, texts: ['a', 'b'] });
    expect(await wrapped.transaction(async (tx) => (await tx.query(TIMES)).rows)).toEqual(expected);
    expect((await wrapped.exec(TIMES))[0]!.rows).toEqual((await plain.exec(TIMES))[0]!.rows);
    // A caller's own parsers still win.
    expect((await wrapped.query<{ n: string }>('select 42 as n', [], { parsers: { 23: (value: string) => `#${value}` } })).rows).toEqual([{ n: '#42' }]);
  });
});
