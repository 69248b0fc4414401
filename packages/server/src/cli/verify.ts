import type { Command } from 'commander';
import { withJson } from './output.js';
import type { VerifyOptions } from './verify-run.js';

export function registerVerify(program: Command): void {
  withJson(program.command('verify'), 'print the report as JSON (the exit code still says whether it verified)')
    .description('Verify an evidence bundle offline, or the hash chains and the Merkle log of this database')
    .argument('[bundle]', 'an evidence bundle (zip) from `latch export`: checked offline against --trust')
    .option('--trust <file>', 'trusted log keys, one verifier key per line with optional from=/until= tree sizes (`latch log trust`); - reads them from standard input')
    .option('--since <checkpoint>', 'a signed checkpoint you already hold: the log must still extend it (--all also checks the published `checkpoint` beside trust.txt)')
    .option('--jobs <n>', 'with a bundle: verify it on n threads, or auto for one per core (default 1); the report is the same')
    .option('--require-signed', 'with --all: fail unless a checkpoint held outside the database covers every leaf and queued event')
    .option('--witness <file>', 'the witnesses you trust, one vkey per line (`latch witness key`) or a tlog-policy file: a bundle\'s checkpoint must carry their cosignatures; with --all, some checkpoint in the database must (the newest such is named)')
    .option('--min-witnesses <n>', 'with --witness: fail unless n listed witnesses cosigned the checkpoint (default: the policy quorum, else 1)')
    .option('--case <id>', 'one case of this database (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--all', 'every chain, the Merkle tree against every checkpoint, and every event in the log')
    // A bundle loads only the offline verifier (verify-bundle-file.ts); the database paths load the server.
    .action(async (bundle: string | undefined, o: VerifyOptions) =>
      bundle !== undefined ? (await import('./verify-bundle-file.js')).verifyBundleFile(bundle, o) : (await import('./verify-run.js')).runVerify(o),
    );
}
