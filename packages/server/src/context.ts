import type { Scheduler } from './approvals/scheduler.js';
import type { PluginHost } from './plugin-host/plugin-host.js';
import type { CaseTypeRegistry } from './case-types/registry.js';
import type { LatchConfig } from './config.js';
import type { Database } from './db/database.js';
import type { TeamDirectory } from './access/teams.js';
import type { RoleSet } from './roles/role-set.js';
import type { LatchLog } from './log/latch-log.js';
import type { IntakeRuntime } from './intake/intake-runtime.js';
import type { Intelligence } from './intelligence/intelligence-runtime.js';
import type { SsoRuntime } from './auth/oidc/sso-runtime.js';
import type { ScimConfig } from './scim/scim-config.js';

/** What commands and routes need from the running deployment. */
export interface LatchContext {
  readonly database: Database;
  readonly caseTypes: CaseTypeRegistry;
  readonly teams: TeamDirectory;
  /** The roles (roles.yaml), with the version they are recorded under on the system stream. */
  readonly roles: RoleSet;
  readonly config: LatchConfig;
  /** Durable timers (approval expiry), enqueued inside the transaction that makes them due. */
  readonly scheduler: Scheduler;
  /** The deployment's plugins (absent when none is configured). */
  readonly plugins: PluginHost | undefined;
  /** The global Merkle log: signing keys, sequencer, checkpoint publishing. */
  readonly log: LatchLog;
  /** Intake (intake.yaml): addresses, routing rules, channels; see docs/intake.md. */
  readonly intake: IntakeRuntime;
  /** Triage suggestions (intelligence.yaml): providers, the built-in model. */
  readonly intelligence: Intelligence;
  /** Single sign-on (sso.yaml, LATCH_OIDC_*): absent when it is off. Turned on or off at start; its settings reload. */
  readonly sso?: SsoRuntime | undefined;
  /** SCIM provisioning's groups → roles and teams (scim.yaml); reloaded. */
  readonly scim: ScimConfig;
}
