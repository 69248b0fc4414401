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
 * request or job sees part of it. Commands read `ctx.caseTypes`, `ctx.roles`, `ctx.teams`,
 * `ctx.intake.config`, `ctx.sso` and `ctx.scim` when they run; cases and actions carry the versions
 * they started with. Single sign-on is turned on or off only at start (it needs LATCH_OIDC_* checked
 * and the provider set up): a sso.yaml that changes `enabled` leaves SSO as it runs, and the running
 * snapshot keeps saying so, so `latch config diff` goes on asking for the restart.
 */
export function activate(ctx: LatchContext, loaded: LoadedConfig): void {
  const ssoRuns = ctx.sso !== undefined;
  const ssoApplies = loaded.sso.enabled === ssoRuns;
  const previous = active.get(ctx)?.snapshot;
  const snapshot = ssoApplies || !previous ? loaded.snapshot : { ...loaded.snapshot, sso: previous.sso };
  const target = ctx as Mutable<LatchContext>;
  target.caseTypes = loaded.caseTypes;
  target.roles = loaded.roles;
  target.teams = loaded.teams;
  (ctx.intake as Mutable<LatchContext['intake']>).config = loaded.intake;
  if (ctx.sso && ssoApplies) target.sso = ctx.sso.withSettings(loaded.sso);
  target.scim = loaded.scim;
  active.set(ctx, { snapshot, loadedAt: new Date() });
}
