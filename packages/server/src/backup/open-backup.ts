import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { BACKED_UP_SCHEMAS, BACKUP_FORMAT, BackupError, CHECKPOINT_PART, MANIFEST, TRUST_PART, type BackupManifest } from './backup-format.js';
import { hashPart } from './snapshot.js';

export interface OpenedBackup {
  /** Where the parts were extracted. */
  readonly dir: string;
  readonly manifest: BackupManifest;
  readonly trust: string;
  readonly checkpoint: string | null;
  /** Deletes the extracted parts. */
  dispose(): Promise<void>;
}

const PART_NAME = /^(manifest\.json|data\/[A-Za-z0-9_]+\.[A-Za-z0-9_]+\.copy|keys\/trust\.txt|keys\/checkpoint)$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Extracts a backup into a scratch directory and checks it before anything is written anywhere:
 * the format, and every part against the SHA-256 and length the manifest gives. A damaged or
 * altered file is BACKUP_CORRUPT.
 */
export async function openBackup(path: string): Promise<OpenedBackup> {
  if (!existsSync(path)) throw new BackupError('BACKUP_CORRUPT', `${path}: no such backup file`);
  const dir = await mkdtemp(join(tmpdir(), 'latch-restore-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const manifest = await extract(path, dir);
    for (const part of manifest.parts) {
      const actual = await hashPart(dir, part.path).catch(() => undefined);
      if (!actual) throw new BackupError('BACKUP_CORRUPT', `${path}: part ${part.path} is missing`);
      if (actual.sha256 !== part.sha256 || actual.bytes !== part.bytes) throw new BackupError('BACKUP_CORRUPT', `${path}: part ${part.path} does not match its SHA-256 in the manifest`);
    }
    const checkpoint = manifest.parts.some((p) => p.path === CHECKPOINT_PART) ? await readFile(join(dir, CHECKPOINT_PART), 'utf8') : null;
    return { dir, manifest, trust: await readFile(join(dir, TRUST_PART), 'utf8'), checkpoint, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function extract(path: string, dir: string): Promise<BackupManifest> {
  try {
    // Only the names a backup has, as plain files: anything else in the archive is not extracted.
    await tar.extract({ file: path, cwd: dir, strict: true, filter: (name, entry) => PART_NAME.test(name) && (entry as { type?: string }).type === 'File' });
  } catch (error) {
    throw new BackupError('BACKUP_CORRUPT', `${path} is not a readable Latch backup (${(error as Error).message.split('\n')[0]})`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
  } catch {
    throw new BackupError('BACKUP_CORRUPT', `${path}: its manifest is missing or unreadable`);
  }
  return checkedManifest(path, manifest);
}

function checkedManifest(path: string, value: unknown): BackupManifest {
  const m = value as Partial<BackupManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== BACKUP_FORMAT) {
    throw new BackupError('BACKUP_FORMAT_UNKNOWN', `${path}: not a ${BACKUP_FORMAT} backup (format ${JSON.stringify((m as { format?: unknown } | null)?.format ?? null)})`);
  }
  const wellFormed =
    Array.isArray(m.migrations) &&
    Array.isArray(m.sequences) &&
    Array.isArray(m.parts) &&
    Array.isArray(m.tables) &&
    m.parts.every((p) => typeof p?.path === 'string' && PART_NAME.test(p.path) && typeof p.sha256 === 'string' && typeof p.bytes === 'number') &&
    m.parts.some((p) => p.path === TRUST_PART) &&
    m.tables.every(
      (t) =>
        (BACKED_UP_SCHEMAS as readonly string[]).includes(t?.schema) &&
        IDENTIFIER.test(t.name) &&
        Array.isArray(t.columns) &&
        t.columns.every((c: unknown) => typeof c === 'string' && c.length > 0 && c.length < 64) &&
        m.parts!.some((p) => p.path === t.part),
    ) &&
    m.sequences.every((s) => (BACKED_UP_SCHEMAS as readonly string[]).includes(s?.schema) && IDENTIFIER.test(s.name) && /^-?\d+$/.test(s.lastValue) && typeof s.isCalled === 'boolean');
  if (!wellFormed) throw new BackupError('BACKUP_CORRUPT', `${path}: its manifest is malformed`);
  return m as BackupManifest;
}
