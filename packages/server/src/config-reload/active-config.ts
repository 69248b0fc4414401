import type { LatchContext } from '../context.js';
import type { ConfigSnapshot } from '../config-check/snapshot.js';
import type { LoadedConfig } from './load-config.js';

/** What each running deployment (one per openLatch) was configured from, and when. */
const active = new WeakMap<LatchContext, { snapshot: ConfigSnapshot; loadedAt: Date }>();

export function activeConfig(ctx: LatchContext): { snapshot: ConfigSnapshot; loadedAt: Date } | undefined {
  return active.get(ctx);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Puts a loaded configuration into the running context in one step: synchronous assignments, so no
 * request or job sees part of it. Commands read `ctx.caseTypes`, `ctx.roles`, `ctx.teams` and
 * `ctx.intake.config` when they run; cases and actions carry the versions they started with.
 */
export function activate(ctx: LatchContext, loaded: LoadedConfig): void {
  const target = ctx as Mutable<LatchContext>;
  target.caseTypes = loaded.caseTypes;
  target.roles = loaded.roles;
  target.teams = loaded.teams;
  (ctx.intake as Mutable<LatchContext['intake']>).config = loaded.intake;
  active.set(ctx, { snapshot: loaded.snapshot, loadedAt: new Date() });
}
