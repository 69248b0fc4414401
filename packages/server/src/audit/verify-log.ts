import {
  CompactRange,
  logKeysValidAt,
  leafHash,
  NoteError,
  openNote,
  parseCheckpoint,
  readCheckpointNote,
  type TrustedKey,
} from '@latch/core';
import { asc, gte, sql } from 'drizzle-orm';
import pg from 'pg';
import { resultRows, type Db, type Queryable } from '../db/database.js';
import { events, logCheckpoints, logLeaves, logNodes, logPending } from '../db/schema.js';

export interface LogReport {
  readonly ok: boolean;
  readonly leaves: number;
  readonly checkpoints: number;
  /** Events committed but not integrated yet (normal for the last moments). */
  readonly pending: number;
  readonly problems: readonly string[];
  readonly notices: readonly string[];
  /**
   * How much of the log a checkpoint held outside the database vouches for: the newest one that
   * matched (its size), and the leaves and queued events after it that only this database vouches
   * for. `outsideSize` is absent when no outside checkpoint was given or none matched.
   */
  readonly coverage: { readonly outsideSize?: number; readonly uncoveredLeaves: number; readonly queued: number };
}

/** A signed checkpoint kept outside the database: the published `checkpoint` file, or the auditor's --since. */
export interface OutsideCheckpoint {
  /** How the report names it, e.g. "the --since checkpoint" or "the published checkpoint (/var/latch/log/checkpoint)". */
  readonly what: string;
  readonly note: string;
}

export interface VerifyLogOptions {
  /** Keys a checkpoint may be signed by, with their validity windows. */
  readonly trusted: readonly TrustedKey[];
  /** Signed checkpoints held outside the database: the log must still extend each of them. */
  readonly outside?: readonly OutsideCheckpoint[];
  /** Every leaf and queued event must be covered by an outside checkpoint (auditors' scripts). */
  readonly requireSigned?: boolean;
}

const CHUNK = 20_000;
const MAX_LISTED = 20;

/**
 * Recomputes the global Merkle tree from the stored event bytes and checks: leaf positions run
 * 0..n-1 with no gap; each leaf is the hash of its event's bytes as they are now; every stored
 * subtree node (what proofs are served from) equals the recomputed one; every checkpoint is signed
 * by a trusted key valid at its size and its root equals the recomputed tree at its size — so
 * consecutive checkpoints are consistent with each other; every event is in the log or queued
 * for it; and an outside checkpoint (`since`) is still a prefix of this log.
 */
export async function verifyLog(db: Queryable, options: VerifyLogOptions): Promise<LogReport> {
  // On PostgreSQL every read sees one snapshot: a batch the sequencer commits between reading the
  // leaves and reading the nodes would otherwise look like nodes covering leaves the log lacks.
  if ((db as { $client?: unknown }).$client instanceof pg.Pool) {
    return (db as Db).transaction((tx) => verifyLogIn(tx, options), { isolationLevel: 'repeatable read', accessMode: 'read only' });
  }
  return verifyLogIn(db, options);
}

async function verifyLogIn(db: Queryable, options: VerifyLogOptions): Promise<LogReport> {
  const problems: string[] = [];
  const notices: string[] = [];
  const note = (problem: string) => {
    if (problems.length < MAX_LISTED) problems.push(problem);
    else if (problems.length === MAX_LISTED) problems.push('… (more problems not listed)');
  };

  const checkpoints = await db.select().from(logCheckpoints).orderBy(asc(logCheckpoints.size));
  const expectedRoots = new Map<number, { what: string; root: Buffer }[]>();
  const expect = (size: number, what: string, root: Buffer) => expectedRoots.set(size, [...(expectedRoots.get(size) ?? []), { what, root }]);
  for (const checkpoint of checkpoints) {
    const problem = checkSignature(checkpoint.note, checkpoint.size, checkpoint.root, options.trusted);
    if (problem) note(`checkpoint ${checkpoint.size}: ${problem}`);
    expect(checkpoint.size, `checkpoint ${checkpoint.size}`, checkpoint.root);
  }
  const outsideSizes = new Map<string, number>();
  for (const { what, note: text } of options.outside ?? []) {
    const outside = openOutside(text, options.trusted);
    if ('problem' in outside) note(`${what}: ${outside.problem}`);
    else {
      const label = `${what} (size ${outside.size})`;
      outsideSizes.set(label, outside.size);
      expect(outside.size, label, outside.root);
    }
  }

  // Recompute the tree leaf by leaf, keeping each level's completed nodes to compare with storage.
  const tree = new CompactRange();
  const mismatched: string[] = [];
  let firstGap: number | undefined;
  const levels: Buffer[][] = [];
  let position = 0;
  for (;;) {
    const rows = await db
      .select({ position: logLeaves.position, eventId: logLeaves.eventId, hash: logLeaves.hash, bytes: events.bytes })
      .from(logLeaves)
      .leftJoin(events, sql`${events.id} = ${logLeaves.eventId}`)
      .where(gte(logLeaves.position, position))
      .orderBy(asc(logLeaves.position))
      .limit(CHUNK);
    for (const row of rows) {
      if (row.position !== position) {
        note(`log leaf ${position}${row.position > position + 1 ? `..${row.position - 1}` : ''} is missing: leaves were deleted`);
        // Past a hole no root can be recomputed; carry on to check each remaining leaf against its event.
        firstGap ??= position;
        position = row.position;
      }
      // The tree is rebuilt from the stored leaves: an event whose bytes changed under its leaf is
      // named as that, once, instead of as every node and checkpoint above it.
      const hash = row.hash;
      if (row.bytes === null) note(`log leaf ${position}: its event ${row.eventId} was deleted`);
      else if (!leafHash(Buffer.from(row.bytes, 'utf8')).equals(row.hash)) note(`log leaf ${position}: event ${row.eventId} was changed after it was logged`);
      position += 1;
      if (firstGap !== undefined) continue;
      for (const node of tree.append(hash)) (levels[node.level] ??= [])[node.index] = node.hash;
      for (const expected of expectedRoots.get(tree.size) ?? []) {
        if (!expected.root.equals(tree.root())) mismatched.push(expected.what);
      }
    }
    if (rows.length < CHUNK) break;
  }
  // Once history differs, every later checkpoint differs too: name the first, count the rest.
  if (mismatched.length > 0) {
    const more = mismatched.length > 1 ? ` (and ${mismatched.length - 1} later one(s))` : '';
    note(`${mismatched[0]} does not match the log${more}: its history was rewritten`);
  }
  if (firstGap !== undefined) {
    note(`checkpoints of more than ${firstGap} leaves cannot be checked: the log has a hole at leaf ${firstGap}`);
  } else {
    for (const [size, expected] of expectedRoots) {
      if (size > tree.size) for (const e of expected) note(`${e.what} covers ${size} leaves but the log has ${tree.size}: the log was rolled back`);
    }
    await compareStoredNodes(db, levels, note);
  }
  const pending = await countPending(db);
  await findUnloggedEvents(db, note);
  // Only an outside checkpoint whose root the recomputed tree reproduced vouches for anything.
  let outsideSize: number | undefined;
  for (const [label, size] of outsideSizes) {
    if (firstGap !== undefined || size > tree.size || mismatched.includes(label)) continue;
    notices.push(`the log extends ${label}`);
    outsideSize = Math.max(outsideSize ?? 0, size);
  }
  const uncoveredLeaves = position - (outsideSize ?? 0);
  if (options.requireSigned) {
    if (outsideSize === undefined) note('--require-signed: no signed checkpoint held outside the database vouches for this log');
    else if (uncoveredLeaves > 0 || pending > 0) {
      note(`--require-signed: ${uncoveredLeaves} leaves after ${outsideSize} and ${pending} queued events are covered by no checkpoint held outside the database`);
    }
  }

  const last = checkpoints[checkpoints.length - 1];
  if (!last) notices.push(options.trusted.length === 0 ? 'no checkpoint has been signed: no signing key is configured' : 'no checkpoint has been signed yet');
  else if (options.trusted.length === 0) notices.push('no trusted key to check checkpoint signatures with: pass --trust <file> (`latch log trust`)');
  else if (last.size < position) notices.push(`${position - last.size} leaves after the last checkpoint (size ${last.size}) await the next one`);
  if (pending > 0) notices.push(`${pending} committed events are queued for the log`);
  const coverage = { ...(outsideSize !== undefined ? { outsideSize } : {}), uncoveredLeaves, queued: pending };
  return { ok: problems.length === 0, leaves: position, checkpoints: checkpoints.length, pending, problems, notices, coverage };
}

/** Opens a stored checkpoint with the keys trusted at its size, and checks it says what its row says. */
function checkSignature(noteText: string, size: number, root: Buffer, trusted: readonly TrustedKey[]): string | undefined {
  try {
    const { text } = openNote(noteText, logKeysValidAt(trusted, readCheckpointNote(noteText).origin, size));
    const body = parseCheckpoint(text);
    if (body.size !== size || !body.root.equals(root)) return 'the signed text does not match the stored size and root';
    return undefined;
  } catch (error) {
    if (error instanceof NoteError && error.reason === 'untrusted') return 'signed by no key trusted for this size';
    return (error as Error).message;
  }
}

function openOutside(noteText: string, trusted: readonly TrustedKey[]): { size: number; root: Buffer } | { problem: string } {
  try {
    const unverified = readCheckpointNote(noteText);
    const { text } = openNote(noteText, logKeysValidAt(trusted, unverified.origin, unverified.size));
    const body = parseCheckpoint(text);
    return { size: body.size, root: body.root };
  } catch (error) {
    return { problem: error instanceof NoteError && error.reason === 'untrusted' ? 'signed by no trusted key' : (error as Error).message };
  }
}

/** Every stored subtree node must be the recomputed one: proofs handed to auditors are read from them. */
async function compareStoredNodes(db: Queryable, levels: Buffer[][], note: (problem: string) => void): Promise<void> {
  let after = { level: 0, index: -1 };
  const seen = levels.map(() => 0);
  for (;;) {
    const rows = await db
      .select()
      .from(logNodes)
      .where(sql`(${logNodes.level}, ${logNodes.index}) > (${after.level}, ${after.index})`)
      .orderBy(asc(logNodes.level), asc(logNodes.index))
      .limit(CHUNK);
    for (const row of rows) {
      const expected = levels[row.level]?.[row.index];
      if (!expected) note(`log node ${row.level}/${row.index} covers leaves the log does not have`);
      else if (!expected.equals(row.hash)) note(`log node ${row.level}/${row.index} was altered`);
      if (expected) seen[row.level] = (seen[row.level] ?? 0) + 1;
    }
    const lastRow = rows[rows.length - 1];
    if (!lastRow || rows.length < CHUNK) break;
    after = { level: lastRow.level, index: lastRow.index };
  }
  levels.forEach((nodes, level) => {
    if (level > 0 && (seen[level] ?? 0) < nodes.length) note(`${nodes.length - (seen[level] ?? 0)} log node(s) of level ${level} are missing`);
  });
}

async function countPending(db: Queryable): Promise<number> {
  const [row] = await db.select({ n: sql<string>`count(*)` }).from(logPending);
  return Number(row?.n ?? 0);
}

/** An event neither logged nor queued was inserted outside Latch. */
async function findUnloggedEvents(db: Queryable, note: (problem: string) => void): Promise<void> {
  const result = await db.execute(
    sql`select e.id, e.stream, e.seq from ${events} e
        where not exists (select 1 from ${logLeaves} l where l.event_id = e.id)
          and not exists (select 1 from ${logPending} p where p.event_id = e.id)
        order by e.id limit ${MAX_LISTED}`,
  );
  for (const row of resultRows<{ id: string; stream: string; seq: number }>(result)) {
    note(`event ${row.id} (stream ${row.stream}, seq ${row.seq}) is in no log leaf and not queued: it was inserted outside Latch`);
  }
}
