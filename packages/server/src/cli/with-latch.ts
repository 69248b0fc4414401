import { readConfig } from '../config.js';
import type { LatchContext } from '../context.js';
import { openLatch, type OpenLatchOptions } from '../runtime.js';

/** Runs a command directly on the database (admin commands on the server's host), closing it after. */
export async function withLatch<T>(work: (ctx: LatchContext) => Promise<T>, options: OpenLatchOptions = {}): Promise<T> {
  const latch = await openLatch(readConfig(), { jobs: false, ...options });
  try {
    return await work(latch.ctx);
  } finally {
    await latch.close();
  }
}
