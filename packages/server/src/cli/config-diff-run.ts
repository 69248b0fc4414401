import type { Command } from 'commander';
import { checkConfig } from '../config-check/check-config.js';
import { describeDiff, diffConfig } from '../config-check/diff-config.js';
import { errorsOf, formatReport, sortProblems, formatProblem, type ConfigProblem } from '../config-check/problem.js';
import { snapshotOf, type ConfigSnapshot } from '../config-check/snapshot.js';
import type { ReloadResult } from '../config-reload/reload-config.js';
import { call, connection, refusal, send } from './api-client.js';
import { inert, printJson } from './output.js';

/** `latch config diff [dir]`: the directory against the configuration the server runs (GET /api/v1/config). */
export async function runConfigDiff(dir: string | undefined, options: { json?: boolean }, command: Command): Promise<void> {
  const target = dir ?? process.env.LATCH_CONFIG_DIR ?? './config';
  const checked = await checkConfig(target, { noDatabaseReason: 'compared through the API' });
  if (errorsOf(checked).length > 0) {
    if (options.json) printJson({ dir: target, ok: false, problems: checked.problems });
    else console.log(`${formatReport(checked)}\nno diff: fix the errors first (the server would refuse this configuration)`);
    process.exitCode = 1;
    return;
  }
  const running = (await call(connection(command), 'GET', '/api/v1/config')) as { loadedAt: string; configDir: string; snapshot: ConfigSnapshot };
  const diff = diffConfig(running.snapshot, snapshotOf(checked));
  if (options.json) return printJson({ dir: target, running: { loadedAt: running.loadedAt, configDir: running.configDir, roleSetVersion: running.snapshot.roles.version ?? null }, diff, warnings: checked.problems });
  console.log(`${target} against the configuration running since ${running.loadedAt} (${inert(running.configDir)}):`);
  for (const line of describeDiff(diff)) console.log(`  ${inert(line)}`);
}

/** `latch config reload`: the server checks its directory again and, if it passes, puts it in force. */
export async function runConfigReload(options: { json?: boolean }, command: Command): Promise<void> {
  const response = await send(connection(command), 'POST', '/api/v1/config:reload', { headers: { 'content-type': 'application/json' }, body: '{}' });
  const text = await response.text();
  if (response.status === 422) {
    const problems = ((JSON.parse(text) as { error?: { details?: { problems?: ConfigProblem[] } } }).error?.details?.problems ?? []) as ConfigProblem[];
    if (options.json) console.log(text);
    else {
      console.log('refused: the running configuration stays in force');
      for (const problem of sortProblems(problems)) console.log(inert(formatProblem(problem)).replace('     fix:', '\n    fix:'));
    }
    process.exitCode = 1;
    return;
  }
  if (!response.ok) throw refusal(response.status, text);
  const result = JSON.parse(text) as ReloadResult;
  if (options.json) return printJson(result);
  console.log(`reloaded: role set version ${result.roleSetVersion}`);
  for (const line of describeDiff(result.diff)) console.log(`  ${inert(line)}`);
  for (const warning of result.warnings) console.log(inert(formatProblem(warning)).replace('     fix:', '\n    fix:'));
}
