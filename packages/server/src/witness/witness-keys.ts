import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateWitnessKey, parseTrustFile, parseWitnessSigner, type TrustedKey, type WitnessSigner } from '@latch/core';
import { StartupError } from '../startup-error.js';
import { writeDurably } from './witness-store.js';

/** The file a witness keeps its generated signing key in, inside its data directory. */
export const WITNESS_KEY_FILE = 'witness.key';

export interface WitnessKeySource {
  /** The signing key itself (LATCH_WITNESS_KEY). */
  readonly key?: string | undefined;
  /** A file holding it (--key-file, LATCH_WITNESS_KEY_FILE). */
  readonly keyFile?: string | undefined;
  /** The name for a key generated on first start (--name). */
  readonly name?: string | undefined;
}

/**
 * The witness's signing key: given (text or file), else the one in its data directory, made on
 * first start. Errors name where the key came from, never its content.
 */
export function loadWitnessSigner(dataDir: string, source: WitnessKeySource, create: boolean): { signer: WitnessSigner; source: string } {
  if (source.key) return { signer: parse(source.key.trim(), 'LATCH_WITNESS_KEY'), source: 'LATCH_WITNESS_KEY' };
  if (source.keyFile) {
    if (!existsSync(source.keyFile)) throw new StartupError(`witness key file ${source.keyFile} does not exist (make one with \`latch witness key --generate <name> -o <file>\`)`);
    return { signer: parse(readFileSync(source.keyFile, 'utf8').trim(), source.keyFile), source: source.keyFile };
  }
  const file = join(dataDir, WITNESS_KEY_FILE);
  if (!existsSync(file)) {
    if (!create) throw new StartupError(`no witness key in ${dataDir} yet: start \`latch witness serve\` once, or pass --key-file`);
    const name = source.name ?? `latch-witness.local/${randomBytes(4).toString('hex')}`;
    let key: string;
    try {
      key = generateWitnessKey(name);
    } catch (error) {
      throw new StartupError((error as Error).message);
    }
    writeDurably(dataDir, WITNESS_KEY_FILE, `${key}\n`, 0o600);
  }
  const signer = parse(readFileSync(file, 'utf8').trim(), file);
  if (source.name !== undefined && source.name !== signer.name) {
    throw new StartupError(`the witness key in ${file} is named ${signer.name}, not ${source.name}: a witness's name is part of its key`);
  }
  return { signer, source: file };
}

function parse(text: string, where: string): WitnessSigner {
  try {
    return parseWitnessSigner(text);
  } catch (error) {
    throw new StartupError(`the witness key in ${where} is not usable: ${(error as Error).message}`);
  }
}

/** The log keys a witness accepts, by origin (the key name), from a Latch trust file (`latch log trust`). */
export function loadLogKeys(file: string): Map<string, TrustedKey[]> {
  if (!existsSync(file)) throw new StartupError(`no log trust file at ${file} (the log operator gives it: \`latch log trust\`)`);
  let keys: TrustedKey[];
  try {
    keys = parseTrustFile(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StartupError(`${file}: ${(error as Error).message}`);
  }
  const byOrigin = new Map<string, TrustedKey[]>();
  for (const key of keys) byOrigin.set(key.name, [...(byOrigin.get(key.name) ?? []), key]);
  return byOrigin;
}
