import { resolve } from 'node:path';
import { readConfig } from '../config.js';
import { checkConfig } from '../config-check/check-config.js';
import { openDatabaseForCheck } from '../config-check/open-for-check.js';
import { errorsOf, formatReport } from '../config-check/problem.js';
import { printJson } from './output.js';

/** `latch config check [dir]`: every problem once as file:line:col, exit 1 when any is an error. */
export async function runConfigCheck(dir: string | undefined, options: { json?: boolean; database: boolean }): Promise<void> {
  const config = readConfig();
  const target = dir ?? process.env.LATCH_CONFIG_DIR ?? './config';
  const opened = options.database ? await openDatabaseForCheck({ ...config, configDir: resolve(target) }) : { skipped: '--no-database' };
  let report;
  try {
    report = await checkConfig(target, 'database' in opened ? { db: opened.database.db } : { noDatabaseReason: opened.skipped });
  } finally {
    if ('close' in opened) await opened.close();
  }
  const errors = errorsOf(report).length;
  if (options.json) {
    printJson({ dir: report.dir, ok: errors === 0, errors, warnings: report.problems.length - errors, database: report.database, problems: report.problems });
  } else {
    console.log(formatReport(report));
    if (report.database !== 'checked') console.log(`database checks skipped: ${report.database.skipped}`);
  }
  if (errors > 0) process.exitCode = 1;
}
