import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { call, connection, download, withServerOptions } from './api-client.js';
import { CliError } from './cli-error.js';
import { printJson, withJson } from './output.js';

/** The shape of a case id (canonical: lower case), checked here to keep @latch/core out of start-up. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The tree size a signed checkpoint file states (the server proves consistency with it; the verifier checks the signature). */
async function sizeOfCheckpointFile(file: string): Promise<number> {
  const { readCheckpointNote } = await import('@latch/core');
  const { readCheckpointFile } = await import('./verify-since.js');
  const note = readCheckpointFile(file);
  try {
    return readCheckpointNote(note).size;
  } catch (error) {
    throw new CliError(`--since ${file} is not a signed checkpoint: ${(error as Error).message}`, 1, 'CHECKPOINT_FILE_INVALID');
  }
}

export function registerExportCommand(program: Command): void {
  withJson(withServerOptions(program.command('export')))
    .description('Export a case as an evidence bundle (zip) that `latch verify <bundle> --trust <keys>` checks offline')
    .argument('<case>', 'the case id')
    .requiredOption('-o, --output <file>', 'where to write the bundle (e.g. bundle.zip)')
    .option('--since <checkpoint>', 'a signed checkpoint the auditor already holds: the bundle proves the log still extends it (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .action(async (caseId: string, o: { output: string; since?: string[]; json?: boolean }, command: Command) => {
      if (!UUID.test(caseId)) throw new CliError(`not a case id: ${caseId}`);
      const since = await Promise.all((o.since ?? []).map(sizeOfCheckpointFile));
      const conn = connection(command);
      const exported = (await call(conn, 'POST', `/api/v1/cases/${caseId}/exports`, {})) as { bundle: string; seq: number; head: { seq: number } };
      const zip = await download(conn, `${exported.bundle}${since.length ? `?since=${since.join(',')}` : ''}`);
      writeFileSync(o.output, zip);
      if (o.json) return printJson({ file: o.output, events: exported.seq, head: exported.head.seq, bytes: zip.length });
      console.log(`wrote ${o.output}: ${exported.seq} events (case head ${exported.head.seq}, then case.exported), ${zip.length} bytes`);
    });
}
