import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as tar from 'tar';
import type { Database } from '../db/database.js';
import { BACKUP_FORMAT, BackupError, CHECKPOINT_PART, MANIFEST, TRUST_PART, type BackupManifest } from './backup-format.js';
import { inSession } from './copy-session.js';
import { hashPart, takeSnapshot } from './snapshot.js';

export interface BackupSource {
  readonly database: Database;
  /** PostgreSQL's URL: the snapshot is read on a connection of its own. */
  readonly url?: string | undefined;
  readonly latchVersion: string;
  /** Verifier keys the log signs with now (their trust lines have no end). */
  readonly currentKeys: readonly string[];
}

/**
 * Writes a backup of the whole database to `output` (which must not exist): every table read in
 * one REPEATABLE READ READ ONLY snapshot, so it is consistent while the server keeps writing, with
 * the public keys and the newest checkpoint, and a manifest of each part's SHA-256. The parts are
 * staged beside the output and the archive appears under its name only once complete and synced.
 */
export async function writeBackup(source: BackupSource, output: string): Promise<BackupManifest> {
  const target = resolve(output);
  if (existsSync(target)) throw new BackupError('BACKUP_OUTPUT_EXISTS', `${target} already exists: choose a new file name (a backup never overwrites one)`);
  const staging = await mkdtemp(join(dirname(target), '.latch-backup-'));
  try {
    const kind = source.database.kind;
    const { snapshot, serverVersion } = await inSession(source, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (session) => {
      const [version] = await session.query<{ v: string }>('show server_version');
      return { snapshot: await takeSnapshot(session, staging, source.currentKeys), serverVersion: version!.v };
    });
    const { trust, checkpoint, ...rest } = snapshot;
    await mkdir(join(staging, dirname(TRUST_PART)), { recursive: true });
    await writeFile(join(staging, TRUST_PART), trust);
    if (checkpoint !== null) await writeFile(join(staging, CHECKPOINT_PART), checkpoint);
    const partPaths = [...rest.tables.map((t) => t.part), TRUST_PART, ...(checkpoint !== null ? [CHECKPOINT_PART] : [])];
    const parts = [];
    for (const path of partPaths) parts.push(await hashPart(staging, path));
    const manifest: BackupManifest = { format: BACKUP_FORMAT, latchVersion: source.latchVersion, createdAt: new Date().toISOString(), database: { kind, serverVersion }, ...rest, parts };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const partial = join(staging, 'backup.tar.gz');
    // The manifest first, so a reader meets it before the parts it describes.
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true }, [MANIFEST, ...partPaths]);
    await syncFile(partial);
    // link, not rename: a file that appeared under the name meanwhile is never replaced.
    await link(partial, target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') throw new BackupError('BACKUP_OUTPUT_EXISTS', `${target} already exists: choose a new file name (a backup never overwrites one)`);
      throw error;
    });
    await syncFile(dirname(target)).catch(() => undefined);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
