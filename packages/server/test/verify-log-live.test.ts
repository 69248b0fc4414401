import { parseSignerKeys, parseTrustFile } from '@latch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLog } from '../src/audit/verify-log.js';
import { bearer, DB_KINDS, refundBody, startTestLatch, TEST_LOG_KEY, type TestLatch } from './harness.js';

/**
 * `latch verify --all` and the console's "verify now" run against a live server:
 * the sequencer commits batches while the verifier reads, and no batch may read as tampering.
 */
describe.each(DB_KINDS)('verifying the log while the sequencer integrates (%s)', (kind) => {
  let t: TestLatch;
  beforeAll(async () => {
    t = await startTestLatch(kind, { LATCH_LOG_INTERVAL_MS: '20' });
  });
  afterAll(() => t?.close());

  it('reports no problem in any run, however the batches fall', async () => {
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: bearer(t.users.operator), payload: refundBody() });
        expect(res.statusCode).toBe(201);
      }
    })();
    const trusted = parseTrustFile(parseSignerKeys(TEST_LOG_KEY)[0]!.verifierKey);
    try {
      for (let run = 0; run < 25; run++) {
        const report = await verifyLog(t.ctx.database.db, { trusted });
        expect(report.problems, `run ${run}`).toEqual([]);
      }
    } finally {
      writing = false;
      await writer;
    }
  }, 120_000);
});
