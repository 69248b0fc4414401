import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** Thrown when another live Latch process holds the data directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    const where = owner.hostname === hostname() ? '' : ` on host ${owner.hostname}`;
    super(
      `Data directory ${dataDir} is in use by another Latch process (pid ${owner.pid}${where}, started ${owner.startedAt}). ` +
        `Stop it first, or point LATCH_DATA_DIR elsewhere. If you are sure no such process exists, delete ${join(dataDir, 'latch.lock')}.`,
    );
  }
}

const LOCK_FILE = 'latch.lock';
// A takeover that crashed half-way must not block every later start forever.
const STALE_TAKEOVER_MS = 5_000;

/** Takes an exclusive lock on dataDir (creating it), replacing a lock left by a dead process. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const body = JSON.stringify(me);

  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, body)) return makeLock(path, body);
    const current = readLock(path);
    if (current === undefined) continue; // vanished between create and read: retry
    if (isAlive(current)) throw new DataDirLockedError(dir, current.owner);
    if (takeOver(path, current.raw, body)) return makeLock(path, body);
  }
  const owner = readLock(path)?.owner ?? { pid: -1, hostname: '?', startedAt: '?' };
  throw new DataDirLockedError(dir, owner);
}

function makeLock(path: string, body: string): DataDirLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      // Never delete a lock someone else has since taken over.
      if (readLock(path)?.raw === body) tryUnlink(path);
    },
  };
}

// Writes to a private temp file and hard-links it into place: as exclusive as
// O_EXCL, but readers can never observe a half-written lock file.
function createExclusive(path: string, body: string): boolean {
  const tmp = writeTemp(path, body);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV'].includes(code(err) ?? '')) throw err;
    return createWithOExcl(path, body); // filesystem without hard links
  } finally {
    tryUnlink(tmp);
  }
}

function createWithOExcl(path: string, body: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  return true;
}

// Two starters may both see the same stale lock; a per-takeover mutex file plus a
// re-check of the stale content ensures only one of them replaces it.
function takeOver(path: string, staleRaw: string, body: string): boolean {
  const mutex = `${path}.takeover`;
  if (!createWithOExcl(mutex, body)) {
    if (Date.now() - mtimeMs(mutex) > STALE_TAKEOVER_MS) tryUnlink(mutex);
    else sleep(50);
    return false;
  }
  try {
    if (readLock(path)?.raw !== staleRaw) return false;
    renameSync(writeTemp(path, body), path);
    return readLock(path)?.raw === body;
  } finally {
    tryUnlink(mutex);
  }
}

function readLock(path: string): { raw: string; owner: LockOwner } | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const o = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.hostname === 'string') {
      return { raw, owner: { pid: o.pid, hostname: o.hostname, startedAt: String(o.startedAt ?? '?') } };
    }
  } catch {
    // Unparseable: only a crash mid-write (O_EXCL fallback) produces this, so it is stale.
  }
  return { raw, owner: { pid: -1, hostname: hostname(), startedAt: '?' } };
}

function isAlive({ owner }: { owner: LockOwner }): boolean {
  // A pid on another host cannot be checked, so assume it is running.
  if (owner.hostname !== hostname()) return true;
  // Same pid as ours means a previous incarnation (e.g. pid 1 in a restarted container).
  if (owner.pid <= 0 || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM'; // exists, owned by another user
  }
}

function writeTemp(path: string, body: string): string {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (code(err) !== 'ENOENT') throw err;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
