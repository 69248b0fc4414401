import type { Command } from 'commander';
import { withJson } from './output.js';

export interface WitnessCliOptions {
  dataDir?: string;
  listen?: string;
  logs?: string;
  name?: string;
  keyFile?: string;
  generate?: string;
  output?: string;
  json?: boolean;
  /** serve: start over though the key is there and the state is lost. */
  freshState?: boolean;
}

export function registerWitnessCommands(program: Command): void {
  const witness = program
    .command('witness')
    .description('A C2SP tlog-witness of your own: cosigns a log\'s checkpoints and refuses any that rewrite what it has seen (run it on another host)');

  withJson(witness.command('serve'), 'once listening, print one JSON line {url, verifierKey, dataDir} instead of the banner')
    .description('Serve POST /add-checkpoint: cosign each checkpoint a trusted log key signed that extends the last one cosigned')
    .option('--data-dir <dir>', 'where its key and the latest checkpoint of each log are kept (LATCH_WITNESS_DIR; default ./latch-witness)')
    .option('--listen <host:port>', 'address to listen on (LATCH_WITNESS_LISTEN; default 127.0.0.1:7380)')
    .option('--logs <trust file>', 'the log verifier keys it accepts, a trust file as `latch log trust` prints (LATCH_WITNESS_LOGS)')
    .option('--name <name>', 'the witness name for a key made on first start (e.g. witness.example.com/w1)')
    .option('--key-file <file>', 'use this signing key instead of the data directory\'s (LATCH_WITNESS_KEY_FILE)')
    .option('--fresh-state', 'start over when the key is there but the state of what it cosigned is lost (LATCH_WITNESS_FRESH_STATE=1; dangerous: it may then cosign a fork of what it cosigned before)')
    .action(async (o: WitnessCliOptions) => (await import('./witness-run.js')).runWitnessServe(o));

  withJson(witness.command('key'), 'print {verifierKey} (or, with --generate, {verifierKey, signingKey unless -o, output})')
    .description("Print the witness's verifier key (name+keyid+base64(0x04 ‖ key)) for Latch's LATCH_WITNESSES policy and auditors' --witness files")
    .option('--data-dir <dir>', 'the witness data directory (LATCH_WITNESS_DIR; default ./latch-witness)')
    .option('--key-file <file>', 'read the signing key from this file instead (LATCH_WITNESS_KEY_FILE)')
    .option('--generate <name>', 'instead, make a new witness signing key named <name>')
    .option('-o, --output <file>', 'with --generate: write the signing key to this file (mode 600) instead of standard output')
    .action(async (o: WitnessCliOptions) => (await import('./witness-run.js')).runWitnessKey(o));
}
