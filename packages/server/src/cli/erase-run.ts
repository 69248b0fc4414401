import { LatchError } from '@latch/core';
import type { LatchContext } from '../context.js';
import { eraseSubject, previewErasure, type ErasureReport, type ErasureRequest } from '../privacy/erase-subject.js';
import { reclaimErasedSpace } from '../privacy/reclaim-space.js';
import { CliError } from './cli-error.js';
import { printJson } from './output.js';
import { withLatch } from './with-latch.js';

const CLI_ACTOR = { type: 'system', id: 'cli' } as const;

/** The report in a few lines a person can check before saying --yes. */
export function describeErasure(report: ErasureReport): string[] {
  const lines = [
    `${report.dryRun ? 'would erase' : 'erased'}: ${report.values} personal value(s) in ${report.cases.length} case(s); ` +
      `${report.blobs.erased} blob(s) (${report.blobs.kept} kept, shared with others); ${report.storedResponses} stored response(s); ` +
      `user account: ${report.userId ?? 'none'}`,
    ...report.cases.map((id) => `  case ${id}`),
    ...report.blockedBy.map((a) => `  blocked by action ${a.actionId} (${a.status}) on case ${a.caseId}: cancel it or let it finish`),
  ];
  if (report.erasureId) lines.push(`erasure ${report.erasureId} recorded as subject.erased on each case and on the system stream`);
  return lines;
}

export interface EraseOptions {
  subject: string;
  reason?: string;
  yes?: boolean;
  json?: boolean;
}

/** `latch erase`: the dry run (what would be erased) or, with --yes, the erasure. */
export async function runErase(o: EraseOptions): Promise<void> {
  const request = { subject: o.subject, reason: o.reason };
  const report = await withLatch((ctx) =>
    o.yes ? eraseAndReclaim(ctx, request) : previewErasure(ctx.database.db, request, CLI_ACTOR),
  ).catch((error: unknown) => {
    if (error instanceof LatchError) throw new CliError(`${error.code}: ${error.message}`, 2, error.code);
    throw error;
  });
  if (o.json) return printJson(report);
  for (const line of describeErasure(report)) console.log(line);
  // A dry run that worked is a success: scripts check the plan, then run again with --yes.
  if (!o.yes) console.error('nothing erased: run again with --yes to erase');
}

/** The erasure, then (after its commit) the vacuum that removes the old row versions from the database files. */
async function eraseAndReclaim(ctx: LatchContext, request: ErasureRequest): Promise<ErasureReport> {
  const report = await ctx.database.write((tx) => eraseSubject(tx, ctx.caseTypes, request, CLI_ACTOR));
  await reclaimErasedSpace(ctx.database);
  return report;
}
