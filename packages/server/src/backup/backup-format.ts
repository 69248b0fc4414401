/** What a backup file holds (docs/operations.md "Backup and restore"): a gzipped tar of these parts. */
export const BACKUP_FORMAT = 'latch-backup/1';
export const MANIFEST = 'manifest.json';
/** The public halves of the log's signing keys, with their validity windows (`latch log trust`). */
export const TRUST_PART = 'keys/trust.txt';
/** The newest signed checkpoint in the snapshot. */
export const CHECKPOINT_PART = 'keys/checkpoint';

/** Schemas whose tables are backed up: Latch's own, and pg-boss's (timers and queued work). */
export const BACKED_UP_SCHEMAS = ['public', 'pgboss'] as const;

export interface TablePart {
  readonly schema: string;
  readonly name: string;
  /** The columns in the part, in order (generated columns are left out: they are computed again). */
  readonly columns: readonly string[];
  readonly rows: number;
  /** PostgreSQL COPY text format, one row per line. */
  readonly part: string;
}

export interface PartHash {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly latchVersion: string;
  readonly createdAt: string;
  readonly database: { readonly kind: 'pglite' | 'postgres'; readonly serverVersion: string };
  /** Migrations applied when the snapshot was taken, in order (drizzle's hash and folder time). */
  readonly migrations: readonly { readonly hash: string; readonly createdAt: string }[];
  readonly tables: readonly TablePart[];
  /** Every sequence's value in the snapshot, set again after the rows are loaded. */
  readonly sequences: readonly { readonly schema: string; readonly name: string; readonly lastValue: string; readonly isCalled: boolean }[];
  readonly log: { readonly size: number; readonly checkpointSize: number | null };
  /** SHA-256 of every other part of the archive. */
  readonly parts: readonly PartHash[];
}

/** A refusal of `latch backup` / `latch restore`, with its stable code: the CLI prints it as one line. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
  constructor(
    readonly code:
      | 'BACKUP_OUTPUT_EXISTS'
      | 'BACKUP_CORRUPT'
      | 'BACKUP_FORMAT_UNKNOWN'
      | 'BACKUP_SCHEMA_NEWER'
      | 'BACKUP_SCHEMA_UNKNOWN'
      | 'BACKUP_DATA_DIR_IN_USE'
      | 'RESTORE_TARGET_NOT_EMPTY'
      | 'RESTORE_FAILED'
      | 'RESTORE_VERIFY_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** Quotes an identifier for SQL (names come from the catalog or a checked manifest, but quoted all the same). */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;
