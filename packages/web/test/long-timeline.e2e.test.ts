import { personal, uuidv7 } from '@latch/core';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectOf } from '../../server/src/cases/create-case.js';
import { appendEvents } from '../../server/src/db/event-store.js';
import { cases } from '../../server/src/db/schema.js';
import { bearer, refundBody } from '../../server/test/harness.js';
import { E2E_TIMEOUT_MS, logIn, startConsole, type ConsoleUnderTest } from './browser.js';

const EVENTS = 1_200;

/**
 * A long timeline: loaded in pages as the reader scrolls (?after=), with only the rows near the view
 * in the page (virtualised), and a note added elsewhere appears at its end without a reload.
 */
describe('a long timeline in the console', () => {
  let c: ConsoleUnderTest;
  beforeAll(async () => {
    c = await startConsole();
  });
  afterAll(() => c?.close());

  it(`${EVENTS} events: a few dozen rows in the DOM, pages load on scroll, the end follows live`, async () => {
    const { t } = c;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody({ title: 'A long story' }) });
    const caseId: string = created.json().id;
    // Notes' events through the real event store, 200 to a transaction (the API would be slower, not different).
    const actor = { type: 'user', id: t.users.operator.id } as const;
    for (let done = 1; done < EVENTS; done += 200) {
      await t.ctx.database.write(async (tx) => {
        const [row] = await tx.select().from(cases).where(eq(cases.id, caseId)).for('update');
        const drafts = Array.from({ length: Math.min(200, EVENTS - done) }, (_, i) => ({ kind: 'note.added', actor, data: { noteId: uuidv7(), body: personal(`step ${done + i}`) } }));
        await appendEvents(tx, caseId, drafts, { subject: subjectOf(row!) });
      });
    }

    const { page, problems } = await c.context();
    await logIn(page, t.users.operator);
    await page.goto(`/cases/${caseId}`);
    await page.getByRole('heading', { name: 'Timeline (200+)' }).waitFor();
    const rows = page.locator('ol.timeline > li.event');
    expect(await rows.count()).toBeLessThan(60);
    expect(await rows.first().getAttribute('data-seq')).toBe('1');

    // Scrolling to the end asks for the next pages until the last event is in view.
    const scroller = page.locator('.timeline-scroll');
    let last = 0;
    for (let tries = 0; tries < 200 && last < EVENTS; tries++) {
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForTimeout(50);
      last = Number(await rows.last().getAttribute('data-seq'));
    }
    expect(last).toBe(EVENTS);
    await page.getByRole('heading', { name: `Timeline (${EVENTS})` }).waitFor();
    expect(await rows.count()).toBeLessThan(60);

    // Someone else adds a note: it arrives at the end of the open timeline.
    const note = await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/notes`, headers: bearer(t.users.approver), payload: { body: 'the last word' } });
    expect(note.statusCode).toBe(201);
    await page.getByRole('heading', { name: `Timeline (${EVENTS + 1})` }).waitFor();
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator(`li.event[data-seq="${EVENTS + 1}"]`, { hasText: 'the last word' }).waitFor();
    expect(problems).toEqual([]);
  }, E2E_TIMEOUT_MS);
});
