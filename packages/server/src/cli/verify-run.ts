/**
 * `latch verify --case <id>` and `latch verify --all`: the chains and the Merkle log of this
 * database. A bundle is verified by verify-bundle-file.ts, which loads none of this.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isUuid, parseTrustFile, type TrustedKey } from '@latch/core';
import { verifyLog, type OutsideCheckpoint } from '../audit/verify-log.js';
import { verifyStore } from '../audit/verify-store.js';
import { readConfig } from '../config.js';
import { CliError } from './cli-error.js';
import { printJson } from './output.js';
import { readTrust } from './verify-bundle-file.js';
import { readCheckpointFile } from './verify-since.js';
import { withLatch } from './with-latch.js';
import { witnessRequirement, type WitnessVerifyOptions } from './witness-requirement.js';
import { checkLogWitnesses } from './witness-verify.js';

export interface VerifyOptions extends WitnessVerifyOptions {
  case?: string[];
  all?: boolean;
  trust?: string;
  since?: string;
  requireSigned?: boolean;
  /** Threads to verify a bundle on (a decimal string, or `auto` for every core, as given). */
  jobs?: string;
  json?: boolean;
}


async function verifyCases(ids: string[], json: boolean | undefined): Promise<void> {
  const report = await withLatch((ctx) => verifyStore(ctx.database.db, ids), { schemaOnly: true });
  if (report.events === 0 && report.ok) throw new CliError(`no events for ${ids.join(', ')}: no such case`, 1);
  if (json) printJson(report);
  else printChains(report);
  if (!report.ok) throw new CliError(`${report.broken.length} chain(s) broken`, 3);
  if (!json) console.log('OK: every chain verifies');
}

/** The signed checkpoint Latch publishes beside trust.txt: held outside the database, so a rollback inside it shows. */
function publishedCheckpoint(): OutsideCheckpoint | undefined {
  const dir = publishDir();
  const path = dir === undefined ? undefined : join(dir, 'checkpoint');
  if (path === undefined || !existsSync(path) || !statSync(path).isFile()) return undefined;
  return { what: `the published checkpoint (${path})`, note: readFileSync(path, 'utf8') };
}

async function verifyDatabase(o: VerifyOptions): Promise<void> {
  const witnesses = witnessRequirement(o);
  const outside: OutsideCheckpoint[] = [];
  if (o.since !== undefined) outside.push({ what: 'the --since checkpoint', note: readCheckpointFile(o.since) });
  const published = publishedCheckpoint();
  if (published !== undefined) outside.push(published);
  const { chains, log, trustSource, witnessed } = await withLatch(
    async (ctx) => {
      const { trusted, source } = o.trust ? { trusted: readTrust(o.trust), source: o.trust } : defaultTrust(ctx.log.keys?.keys.map((k) => k.verifierKey) ?? []);
      const chains = await verifyStore(ctx.database.db);
      const log = await verifyLog(ctx.database.db, { trusted, outside, requireSigned: o.requireSigned === true });
      const witnessed = witnesses === undefined ? undefined : await checkLogWitnesses(ctx.database.db, witnesses, log.leaves);
      return { chains, log, trustSource: source, witnessed };
    },
    { schemaOnly: true },
  );
  const problems = chains.broken.length + log.problems.length + (witnessed?.problems.length ?? 0);
  if (o.json) {
    printJson({ ok: problems === 0, chains, log, trustSource, ...(witnessed !== undefined ? { witnesses: witnessed } : {}) });
    if (problems > 0) throw new CliError(`${problems} problem(s) found`, 3);
    return;
  }
  printChains(chains);
  console.log(`log: ${log.leaves} leaves, ${log.checkpoints} checkpoints (keys trusted from ${trustSource})`);
  for (const problem of log.problems) console.log(`BROKEN  log: ${problem}`);
  for (const notice of log.notices) console.log(`note    log: ${notice}`);
  for (const problem of witnessed?.problems ?? []) console.log(`BROKEN  witnesses: ${problem}`);
  if (problems > 0) throw new CliError(`${problems} problem(s) found`, 3);
  console.log(`coverage: ${coverageLine(log.coverage, outside.length)}`);
  if (witnessed !== undefined) console.log(`witnesses: ${witnessed.summary}`);
  if (log.checkpoints === 0) {
    console.log(
      'OK: every chain verifies; the Merkle tree recomputed from the event bytes matches every stored node; every event is in the log. ' +
        `No checkpoint is signed, so nothing outside this database vouches for the tree: ${NO_KEY_HINT}`,
    );
    return;
  }
  const queued = log.pending > 0 ? ` or queued for it (${log.pending} queued: no checkpoint vouches for them yet)` : '';
  console.log(
    `OK: every chain verifies; the Merkle tree recomputed from the event bytes matches all ${log.checkpoints} checkpoints, ` +
      `so each is consistent with the one before; every event is in the log${queued}`,
  );
}

/** How much of the log a checkpoint held outside the database vouches for, in one line. */
function coverageLine(coverage: Awaited<ReturnType<typeof verifyLog>>['coverage'], outsideGiven: number): string {
  const rest = `${coverage.uncoveredLeaves} leaves${coverage.queued > 0 ? ` and ${coverage.queued} queued events` : ''}`;
  if (coverage.outsideSize === undefined) {
    const why = outsideGiven === 0 ? 'no checkpoint published outside the database was found (LATCH_LOG_PUBLISH_DIR) and no --since was given' : 'no checkpoint held outside the database matched';
    return `${why}: all ${rest} are vouched for only by this database, which a rollback inside it would not show (pass --since <checkpoint you hold>; --require-signed makes this a failure)`;
  }
  if (coverage.uncoveredLeaves === 0 && coverage.queued === 0) return `a checkpoint held outside the database (size ${coverage.outsideSize}) covers the whole log`;
  return `a checkpoint held outside the database covers the first ${coverage.outsideSize} leaves; the ${rest} after it are vouched for only by this database until the next checkpoint is published`;
}

const NO_KEY_HINT =
  'configure a signing key with LATCH_LOG_KEY or LATCH_LOG_KEY_FILE (make one with `latch log key --generate <name> -o <file>`); checkpoints are signed from then on';

function printChains(report: Awaited<ReturnType<typeof verifyStore>>): void {
  console.log(`checked ${report.events} events in ${report.streams} stream(s)`);
  for (const broken of report.broken) {
    const at = broken.firstBreak!;
    console.log(`BROKEN  stream ${broken.stream}: at event ${at.seq}${at.eventId ? ` (${at.eventId})` : ''}: ${at.problem}`);
  }
}

/** Where this deployment publishes its checkpoint and trust file, if anywhere. */
function publishDir(): string | undefined {
  const config = readConfig();
  return config.logPublishDir ?? (config.databaseUrl === undefined ? join(config.dataDir, 'log') : undefined);
}

/**
 * Without --trust: the keys this server is configured with, plus the trust file it publishes
 * (which keeps retired keys). An auditor passes their own --trust instead.
 */
function defaultTrust(current: readonly string[]): { trusted: TrustedKey[]; source: string } {
  const dir = publishDir();
  const published = dir ? join(dir, 'trust.txt') : undefined;
  const fromFile = published && existsSync(published) ? parseTrustFile(readFileSync(published, 'utf8')) : [];
  const id = (k: TrustedKey) => `${k.name}+${k.keyHash}`;
  const known = new Set(fromFile.map(id));
  // No key configured and no trust file published (PostgreSQL before a key is set): nothing is trusted, and nothing was signed.
  const configured = current.length === 0 ? [] : parseTrustFile(current.join('\n')).filter((k) => !known.has(id(k)));
  if (fromFile.length + configured.length === 0) return { trusted: [], source: 'nowhere: no signing key is configured and no trust file is published' };
  return { trusted: [...fromFile, ...configured], source: `this server's configuration${fromFile.length ? ` and ${published}` : ''}` };
}

/** `latch verify` without a bundle: some cases, or the whole database. */
export async function runVerify(o: VerifyOptions): Promise<void> {
  if (!o.all && !o.case?.length) throw new CliError('say what to verify: a bundle file, --case <id> or --all');
  const bad = o.case?.find((id) => !isUuid(id));
  if (bad) throw new CliError(`not a case id: ${bad}`);
  return o.all ? verifyDatabase(o) : verifyCases(o.case!, o.json);
}
