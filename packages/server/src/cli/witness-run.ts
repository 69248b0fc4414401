import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateWitnessKey, isValidKeyName, parseWitnessSigner } from '@latch/core';
import { acquireDataDirLock } from '../db/data-dir-lock.js';
import { StartupError } from '../startup-error.js';
import { loadLogKeys, loadWitnessSigner } from '../witness/witness-keys.js';
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

/** `latch witness serve`: until SIGINT or SIGTERM. */
export async function runWitnessServe(o: WitnessCliOptions): Promise<void> {
  const logsFile = o.logs ?? env.LATCH_WITNESS_LOGS;
  if (!logsFile) throw new CliError('say which logs this witness accepts: --logs <trust file> (the log operator prints it with `latch log trust`)');
  const { host, port } = parseListen(o.listen ?? env.LATCH_WITNESS_LISTEN ?? '127.0.0.1:7380');
  const dataDir = dataDirOf(o);
  if (o.name !== undefined && !isValidKeyName(o.name)) throw new CliError(`not a usable witness name: '${inert(o.name)}' (no spaces or '+')`);
  const logKeys = loadLogKeys(resolve(logsFile));
  const lock = acquireDataDirLock(dataDir);
  const { signer } = loadWitnessSigner(dataDir, keySource(o), true);
  let store: WitnessStore;
  try {
    store = new WitnessStore(dataDir);
  } catch (error) {
    lock.release();
    throw new StartupError(`the witness state in ${dataDir} is unreadable: ${(error as Error).message}`);
  }
  const log = (level: 'info' | 'warn' | 'error', message: string) => (level === 'info' ? console.log : console.error)(`${new Date().toISOString()} ${level} ${message}`);
  const server = createWitnessServer({ signer, store, logKeys, log: o.json ? (level, m) => level !== 'info' && log(level, m) : log });
  await new Promise<void>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      lock.release();
      fail(new CliError(error.code === 'EADDRINUSE' ? `${host}:${port} is already in use` : `cannot listen on ${host}:${port}: ${error.message}`));
    });
    server.listen(port, host, () => ok());
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
