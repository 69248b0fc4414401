import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

// PGlite starts Postgres with -F (fsync=off), and its Emscripten NODEFS makes fsync()
// and fdatasync() no-ops anyway. Each commit still reaches the WAL by a synchronous
// write(2) before the query resolves, so it survives kill -9, but only sits in the OS
// page cache. This class adds the missing fsync from outside, on libuv's thread pool.

const WAL_SEGMENT = /^[0-9A-F]{24}$/;
const DIR_SYNC_UNSUPPORTED = new Set<string | undefined>(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'EBADF']);

/** Makes what PGlite has written to a filesystem data directory durable, by fsync from outside. */
export class EmbeddedDurability {
  readonly #dataDir: string;
  readonly #walDir: string;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  // Lowest WAL segment that may still receive writes. WAL is written in segment
  // order, so older segments are finished once a round has synced them.
  #floor = '';
  #syncedListing = '';
  #rounds = 0;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
    this.#walDir = join(dataDir, 'pg_wal');
  }

  /** Number of fsync rounds run so far; concurrent flush() callers share rounds. */
  get rounds(): number {
    return this.#rounds;
  }

  /**
   * Resolves once every commit that completed before this call is on stable storage.
   * Callers arriving during a round wait for the next one, since the running round may
   * have synced before their commit hit the WAL; all such callers share that round.
   */
  flush(): Promise<void> {
    if (this.#queued) return this.#queued;
    if (!this.#running) return this.#start();
    const settled = this.#running.catch(() => undefined);
    this.#queued = settled.then(() => {
      this.#queued = null;
      return this.#start();
    });
    return this.#queued;
  }

  /**
   * Fsyncs every file and directory in the data directory. flush() covers only the WAL;
   * call this after pg.close() or an explicit CHECKPOINT, which write data files and
   * pg_control and may then delete the WAL that described them.
   */
  async syncAll(): Promise<void> {
    await syncTree(this.#dataDir);
  }

  #start(): Promise<void> {
    const round: Promise<void> = this.#walRound().finally(() => {
      if (this.#running === round) this.#running = null;
    });
    this.#running = round;
    return round;
  }

  async #walRound(): Promise<void> {
    this.#rounds++;
    let names: string[];
    try {
      names = (await readdir(this.#walDir)).filter((n) => WAL_SEGMENT.test(n) && n >= this.#floor).sort();
    } catch (err) {
      if (code(err) === 'ENOENT') return; // not initialised yet: nothing committed
      throw err;
    }
    // Segments recycled by a checkpoint carry future names but old mtimes, so the
    // newest-written segment (not the highest name) is where the next writes go.
    const mtimes = names.length > 1 ? await Promise.all(names.map((n) => mtimeOf(join(this.#walDir, n)))) : [0];
    await Promise.all(names.map((n) => syncPath(join(this.#walDir, n), true)));
    // Segments are created or recycled by rename; only then do the entries need syncing.
    const listing = names.join();
    if (listing !== this.#syncedListing) {
      await syncPath(this.#walDir, false);
      this.#syncedListing = listing;
    }
    let newest = -1;
    names.forEach((name, i) => {
      const m = mtimes[i] ?? -1;
      if (m > newest) {
        newest = m;
        this.#floor = name;
      }
    });
  }
}

async function syncTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(dir, e.name));
  // Bounded batches: a data directory holds ~1000 files and fds are finite.
  for (let i = 0; i < files.length; i += 64) {
    await Promise.all(files.slice(i, i + 64).map((f) => syncPath(f, true)));
  }
  for (const sub of entries.filter((e) => e.isDirectory())) await syncTree(join(dir, sub.name));
  await syncPath(dir, false);
}

async function syncPath(path: string, isFile: boolean): Promise<void> {
  let handle;
  try {
    // Windows can only flush handles opened for writing.
    handle = await open(path, isFile ? 'r+' : 'r');
  } catch (err) {
    // Deleted by a concurrent checkpoint, or a directory on Windows (cannot be opened).
    if (code(err) === 'ENOENT' || (!isFile && DIR_SYNC_UNSUPPORTED.has(code(err)))) return;
    throw err;
  }
  try {
    await (isFile ? handle.datasync() : handle.sync());
  } catch (err) {
    // Like Postgres's fsync_fname: some filesystems cannot fsync a directory.
    if (isFile || !DIR_SYNC_UNSUPPORTED.has(code(err))) throw err;
  } finally {
    await handle.close();
  }
}

async function mtimeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return -1;
  }
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
