import type { Command } from 'commander';
import { withJson } from './output.js';

export function registerLogCommands(program: Command): void {
  const log = program.command('log').description("The global Merkle log: signing keys, trust file, checkpoints");

  withJson(log.command('key'), 'print {verifierKeys} (or, with --generate, {verifierKey, signingKey unless -o, output})')
    .description("Print the log's public key(s) in the signed-note verifier-key format (name+keyid+base64), for auditors' trust files")
    .option('--generate <name>', 'instead, make a new signing key named <name> (the log origin, e.g. latch.example.com/log)')
    .option('-o, --output <file>', 'with --generate: write the private key to this file (mode 600) instead of standard output')
    .action(async (o: { generate?: string; output?: string; json?: boolean }) => (await import('./log-run.js')).runKey(o));

  withJson(log.command('trust'), 'print {trust: <the trust file text>}')
    .description("Print the trust file: every key that has signed this log's checkpoints, with its validity window in tree sizes")
    .action(async (o: { json?: boolean }) => (await import('./log-run.js')).runTrust(o));

  withJson(log.command('checkpoint'), 'print {note: <the signed checkpoint>}')
    .description('Print the newest signed checkpoint (keep it: `latch verify --since` checks later logs extend it)')
    .action(async (o: { json?: boolean }) => (await import('./log-run.js')).runCheckpoint(o));
}
