import { relative } from 'node:path';
import { LatchError, type Actor } from '@latch/core';
import type { LatchContext } from '../context.js';
import { checkConfig } from '../config-check/check-config.js';
import { diffConfig, type ConfigDiff } from '../config-check/diff-config.js';
import { errorsOf, type ConfigProblem } from '../config-check/problem.js';
import { appendEvents, SYSTEM_STREAM } from '../db/event-store.js';
import { activate, activeConfig } from './active-config.js';
import { loadConfig } from './load-config.js';

export interface ReloadResult {
  /** The role-set version now in force (recorded as roles.defined when it changed). */
  readonly roleSetVersion: number;
  readonly diff: ConfigDiff;
  /** Warnings of the check (allowed). */
  readonly warnings: readonly ConfigProblem[];
}

type Say = (level: 'info' | 'warn', message: string) => void;

/** One reload at a time per deployment: a SIGHUP and an API call arriving together run one after the other. */
const running = new WeakMap<LatchContext, Promise<unknown>>();

/**
 * Checks the configuration directory again and, when it has no error, puts it in force in one step;
 * otherwise the running configuration stays and the problems are returned in a CONFIG_INVALID
 * error. Either outcome is recorded on the system stream (config.reloaded, config.reload_refused).
 */
export function reloadConfig(ctx: LatchContext, actor: Actor, say: Say = () => undefined): Promise<ReloadResult> {
  const previous = running.get(ctx) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => reloadNow(ctx, actor, say));
  running.set(ctx, next);
  return next;
}

async function reloadNow(ctx: LatchContext, actor: Actor, say: Say): Promise<ReloadResult> {
  const dir = ctx.config.configDir;
  const checked = await checkConfig(dir, { db: ctx.database.db });
  const errors = errorsOf(checked);
  const warnings = checked.problems.filter((p) => p.severity === 'warning');
  if (errors.length > 0) return refuse(ctx, actor, dir, checked.problems, `The configuration in ${dir} has ${errors.length} error(s); the running configuration stays in force`);
  let loaded;
  try {
    loaded = await loadConfig(ctx.database, dir, checked, say);
  } catch (error) {
    // The files changed between the check and the load, or the database refused a changed version.
    if (!(error instanceof Error) || error instanceof LatchError) throw error;
    const problem: ConfigProblem = { file: dir, line: 1, col: 1, severity: 'error', code: 'CONFIG_LOAD_FAILED', message: error.message };
    return refuse(ctx, actor, dir, [problem], `The configuration in ${dir} could not be loaded; the running configuration stays in force`);
  }
  const before = activeConfig(ctx)?.snapshot ?? loaded.snapshot;
  const diff = diffConfig(before, loaded.snapshot);
  activate(ctx, loaded);
  await ctx.database.write((tx) =>
    appendEvents(
      tx,
      SYSTEM_STREAM,
      [
        {
          kind: 'config.reloaded',
          actor,
          data: {
            caseTypes: diff.caseTypes.added.map((t) => ({ key: t.key, version: t.version, policies: t.policies.map((p) => ({ key: p.key, version: p.to })) })),
            roleSet: loaded.roles.version ?? 0,
            rolesChanged: diff.roles.added.length + diff.roles.removed.length + diff.roles.changed.length > 0,
            teamsChanged: diff.teams.added.length + diff.teams.removed.length + diff.teams.changed.length > 0,
            intakeChanged: diff.intake.changed,
            ssoChanged: diff.sso.changed,
            scimChanged: diff.scim.changed,
            restartNeeded: diff.restartNeeded,
            warnings: warnings.length,
          },
        },
      ],
      { subject: 'system' },
    ),
  );
  say('info', `config: reloaded from ${dir}${diff.changed ? '' : ' (no change)'}${diff.restartNeeded.length > 0 ? `; restart needed for ${diff.restartNeeded.join('; ')}` : ''}`);
  return { roleSetVersion: loaded.roles.version ?? 0, diff, warnings };
}

async function refuse(ctx: LatchContext, actor: Actor, dir: string, problems: readonly ConfigProblem[], message: string): Promise<never> {
  const errors = problems.filter((p) => p.severity === 'error');
  // Where and what, never the messages: they quote the files, and the record needs only the place.
  const places = errors.slice(0, 50).map((p) => ({ file: relative(dir, p.file) || '.', line: p.line, col: p.col, code: p.code }));
  await ctx.database.write((tx) =>
    appendEvents(tx, SYSTEM_STREAM, [{ kind: 'config.reload_refused', actor, outcome: 'refused', data: { errors: errors.length, problems: places } }], { subject: 'system' }),
  );
  throw new LatchError('CONFIG_INVALID', message, { problems });
}
