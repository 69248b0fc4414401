import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateWitnessKey, inertText, isValidKeyName, parseWitnessSigner, type WitnessSigner } from '@latch/core';
import { acquireDataDirLock, DataDirLockedError, type DataDirLock } from '../db/data-dir-lock.js';
import { StartupError } from '../startup-error.js';
import { loadLogKeys, loadWitnessSigner, WITNESS_KEY_FILE } from '../witness/witness-keys.js';
import { createWitnessServer } from '../witness/witness-server.js';
import { WitnessStore } from '../witness/witness-store.js';
import { CliError } from './cli-error.js';
import { inert, printJson } from './output.js';
import type { WitnessCliOptions } from './witness.js';

const env = process.env;
const dataDirOf = (o: WitnessCliOptions) => resolve(o.dataDir ?? env.LATCH_WITNESS_DIR ?? 'latch-witness');
const keySource = (o: WitnessCliOptions) => ({ key: env.LATCH_WITNESS_KEY, keyFile: o.keyFile ?? env.LATCH_WITNESS_KEY_FILE, name: o.name });

function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):([0-9]{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new CliError(`--listen ${text}: want host:port, e.g. 0.0.0.0:7380`);
  return { host: match[1] ?? match[2]!, port };
}

/** The witness's own lock on its data directory, the conflict named in its own terms. */
function lockWitnessDir(dataDir: string): DataDirLock {
  try {
    return acquireDataDirLock(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    const { pid, hostname, startedAt } = error.owner;
    throw new StartupError(
      `the witness data directory ${dataDir} is in use by another process (pid ${pid} on ${hostname}, started ${startedAt}). ` +
        `Stop it first, or give this witness another --data-dir (LATCH_WITNESS_DIR). If you are sure no such process exists, delete ${join(dataDir, 'latch.lock')}.`,
    );
  }
}

/**
 * A witness whose key is in its data directory but whose state directory is gone would start over
 * and cosign a fork of what it cosigned before: refused, unless told to start over (freshState).
 */
function checkStateNotLost(dataDir: string, o: WitnessServeOptions): boolean {
  const usesDirKey = !env.LATCH_WITNESS_KEY && !(o.keyFile ?? env.LATCH_WITNESS_KEY_FILE);
  if (!usesDirKey || !existsSync(join(dataDir, WITNESS_KEY_FILE)) || WitnessStore.hasState(dataDir)) return false;
  if (o.freshState || env.LATCH_WITNESS_FRESH_STATE === '1') return true;
  throw new StartupError(
    `${join(dataDir, WITNESS_KEY_FILE)} exists but ${join(dataDir, 'state')} does not: this witness's record of what it cosigned is lost, ` +
      'and starting over with the same key could cosign a fork of what it cosigned before. Restore the state directory ' +
      "(never from an older backup), or retire this key and start a new witness; to start over with this key anyway, pass --fresh-state or set LATCH_WITNESS_FRESH_STATE=1 (dangerous: see docs/operations.md, 'Running a witness').",
  );
}

/** WitnessCliOptions, and `freshState`: start over though the key exists and the state is lost. */
export type WitnessServeOptions = WitnessCliOptions & { freshState?: boolean };

/** `latch witness serve`: until SIGINT or SIGTERM. */
export async function runWitnessServe(o: WitnessServeOptions): Promise<void> {
  const logsFile = o.logs ?? env.LATCH_WITNESS_LOGS;
  if (!logsFile) throw new CliError('say which logs this witness accepts: --logs <trust file> (the log operator prints it with `latch log trust`)');
  const { host, port } = parseListen(o.listen ?? env.LATCH_WITNESS_LISTEN ?? '127.0.0.1:7380');
  const dataDir = dataDirOf(o);
  if (o.name !== undefined && !isValidKeyName(o.name)) throw new CliError(`not a usable witness name: '${inert(o.name)}' (no spaces or '+')`);
  const logKeys = loadLogKeys(resolve(logsFile));
  const lock = lockWitnessDir(dataDir);
  let store: WitnessStore;
  let signer: WitnessSigner;
  let startingOver: boolean;
  try {
    startingOver = checkStateNotLost(dataDir, o);
    // The state directory is made before a first key: a key never exists without one.
    try {
      store = new WitnessStore(dataDir);
    } catch (error) {
      throw new StartupError(`the witness state in ${dataDir} is unreadable: ${(error as Error).message}`);
    }
    ({ signer } = loadWitnessSigner(dataDir, keySource(o), true));
  } catch (error) {
    lock.release();
    throw error;
  }
  const log = (level: 'info' | 'warn' | 'error', message: string) => (level === 'info' ? console.log : console.error)(`${new Date().toISOString()} ${level} ${message}`);
  const witnessLog = o.json ? (level: 'info' | 'warn' | 'error', m: string) => level !== 'info' && log(level, m) : log;
  if (startingOver) witnessLog('warn', `witness: its state in ${dataDir} was lost and it starts over with the same key (LATCH_WITNESS_FRESH_STATE): it may cosign a fork of what it cosigned before`);
  const server = createWitnessServer({ signer, store, logKeys, log: witnessLog });
  await new Promise<void>((ok, fail) => {
    const onListenError = (error: NodeJS.ErrnoException) => {
      lock.release();
      fail(new CliError(error.code === 'EADDRINUSE' ? `${host}:${port} is already in use` : `cannot listen on ${host}:${port}: ${error.message}`));
    };
    server.once('error', onListenError);
    server.listen(port, host, () => {
      server.off('error', onListenError);
      // Later errors (accepting a connection failed: out of file descriptors, say) are logged; the witness keeps serving.
      server.on('error', (error: NodeJS.ErrnoException) => witnessLog('error', `witness: the server: ${inertText(error.message)}`));
      ok();
    });
  });
  const address = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${typeof address === 'object' && address ? address.port : port}`;
  if (o.json) console.log(JSON.stringify({ url, verifierKey: signer.verifierKey, dataDir }));
  else {
    console.log(`witness ${signer.name} listening on ${url} (submission prefix; POST ${url}/add-checkpoint)`);
    console.log(`verifier key: ${signer.verifierKey}`);
    console.log(`data: ${dataDir}; accepting logs: ${[...logKeys.keys()].join(', ')}`);
  }
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    lock.release();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/** `latch witness key`. */
export function runWitnessKey(o: WitnessCliOptions): void {
  if (o.generate !== undefined) {
    if (!isValidKeyName(o.generate)) throw new CliError(`not a usable witness name: '${inert(o.generate)}' (no spaces or '+')`);
    const key = generateWitnessKey(o.generate);
    const { verifierKey } = parseWitnessSigner(key);
    if (o.output) {
      if (existsSync(o.output)) throw new CliError(`${o.output} exists; a signing key is never overwritten`);
      writeFileSync(o.output, `${key}\n`, { mode: 0o600, flag: 'wx' });
      if (o.json) return printJson({ verifierKey, output: o.output });
      console.error(`wrote the witness signing key to ${o.output}; pass it with --key-file`);
    } else {
      if (o.json) return printJson({ verifierKey, signingKey: key });
      console.log(key);
    }
    console.error(`verifier key: ${verifierKey}`);
    return;
  }
  const { signer } = loadWitnessSigner(dataDirOf(o), keySource(o), false);
  if (o.json) return printJson({ verifierKey: signer.verifierKey });
  console.log(signer.verifierKey);
}
