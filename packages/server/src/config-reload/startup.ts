import type { LatchContext } from '../context.js';
import { checkConfigFiles, readConfigFiles, type ConfigFiles } from '../config-check/check-config.js';
import type { ConfigProblem } from '../config-check/problem.js';
import { errorsOf, formatProblem } from '../config-check/problem.js';
import type { Database } from '../db/database.js';
import { StartupError } from '../startup-error.js';
import { loadConfig, type LoadedConfig } from './load-config.js';

/**
 * Reads and checks the configuration directory before any database is opened, so a broken file
 * stops the start at once (the same lines `latch config check` prints).
 */
export async function precheckConfig(configDir: string): Promise<ConfigFiles> {
  const files = readConfigFiles(configDir);
  refuseOnErrors((await checkConfigFiles(files, { noDatabaseReason: 'not open yet' })).problems, configDir);
  return files;
}

/**
 * The checks against the database (an edited version in use, roles no one holds), then the load.
 * Warnings are said by the serving process only (`warn`): a one-shot command (`latch erase`, `latch
 * export`) refuses a broken configuration like `serve` does, but its output is its own.
 */
export async function checkAndLoadConfig(
  database: Database,
  files: ConfigFiles,
  say: (level: 'info' | 'warn', message: string) => void,
  options: { warn: boolean } = { warn: true },
): Promise<LoadedConfig> {
  const checked = await checkConfigFiles(files, { db: database.db });
  refuseOnErrors(checked.problems, files.dir);
  if (options.warn) for (const warning of checked.problems) say('warn', `config: ${formatProblem(warning).replace('\n', ' ')}`);
  return loadConfig(database, files.dir, checked, say);
}

function refuseOnErrors(problems: readonly ConfigProblem[], configDir: string): void {
  const errors = errorsOf({ dir: configDir, problems, database: 'checked' });
  if (errors.length === 0) return;
  const warnings = problems.length - errors.length;
  const more = warnings > 0 ? `\n(and ${warnings} warning(s): \`latch config check ${configDir}\` lists them)` : '';
  throw new StartupError(`The configuration does not pass the check: ${errors.length} error(s)\n${errors.map(formatProblem).join('\n')}${more}`);
}

/** A service's view of the context: its own additions, and everything else read through ctx itself (reloads included). */
export function withServices<T extends object>(ctx: LatchContext, services: T): LatchContext & T {
  return Object.assign(Object.create(ctx) as LatchContext, services);
}
