import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateSignerKey, parseSignerKeys, type SignerKey } from '@latch/core';
import type { LatchConfig } from '../config.js';
import { StartupError } from '../startup-error.js';

/** The keys the sequencer signs checkpoints with, and where they came from. */
export interface LogKeys {
  /** The log's origin line: the keys' common name. */
  readonly origin: string;
  /** Every configured key signs: two during a rotation's overlap. */
  readonly keys: readonly SignerKey[];
  /** Where the keys were read from (never their content). */
  readonly source: string;
  /** True when Latch made the key itself: nothing outside this machine vouches for it yet. */
  readonly selfAnchored: boolean;
}

/** The file the embedded mode keeps its generated key in, inside the data directory. */
export const EMBEDDED_KEY_FILE = 'log-signing.key';

/**
 * Reads the signing key(s): LATCH_LOG_KEY, else LATCH_LOG_KEY_FILE, never the database. The
 * embedded mode creates a key on first start in its data directory (self-anchored); an in-memory
 * database gets a throwaway key. PostgreSQL without a configured key gets none: the log still
 * integrates events, but signs no checkpoint until a key is configured.
 */
export function loadLogKeys(config: LatchConfig, mode: { embedded: boolean; inMemory: boolean }): LogKeys | undefined {
  if (config.logKey) return fromText(config.logKey.replace(/\s+/g, '\n'), 'LATCH_LOG_KEY', false);
  if (config.logKeyFile) {
    if (!existsSync(config.logKeyFile)) throw new StartupError(`LATCH_LOG_KEY_FILE ${config.logKeyFile} does not exist (create one with \`latch log key --generate <name>\`)`);
    return fromText(readFileSync(config.logKeyFile, 'utf8'), config.logKeyFile, false);
  }
  if (mode.inMemory) return fromText(generateSignerKey(defaultOrigin()), 'memory', true);
  if (!mode.embedded) return undefined;
  const file = join(config.dataDir, EMBEDDED_KEY_FILE);
  if (!existsSync(file)) writeFileSync(file, `${generateSignerKey(defaultOrigin())}\n`, { mode: 0o600, flag: 'wx' });
  return fromText(readFileSync(file, 'utf8'), file, true);
}

function fromText(text: string, source: string, selfAnchored: boolean): LogKeys {
  let keys: SignerKey[];
  try {
    keys = parseSignerKeys(text);
  } catch (error) {
    throw new StartupError(`the log signing key in ${source} is not usable: ${(error as Error).message}`);
  }
  return { origin: keys[0]!.name, keys, source, selfAnchored };
}

/** A name unique to this installation, so two self-anchored logs never share an origin. */
function defaultOrigin(): string {
  return `latch.local/${randomBytes(4).toString('hex')}`;
}
