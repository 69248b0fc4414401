import { canonicalJson, sha256Hex } from '@latch/core';
import type { GroupGrant } from '../auth/oidc/sso-settings.js';
import type { CheckedConfig } from './check-config.js';
import type { YamlSource } from './yaml-source.js';

/** What a configuration amounts to, compared by `latch config diff` and served by GET /api/v1/config. */
export interface ConfigSnapshot {
  readonly caseTypes: readonly { key: string; version: number; sha256: string; policies: { key: string; version: number; sha256: string }[] }[];
  /** `version` is the role-set version recorded on the system stream (running configuration only). */
  readonly roles: { version?: number; sha256: string; roles: Record<string, { description: string; permissions: string[] }> };
  /** Without teams.yaml (`declared: false`) any team works the queue of its name. */
  readonly teams: { declared: boolean; teams: Record<string, string[]> };
  readonly intake: { sha256: string | null; addresses: string[]; routes: string[]; forms: string[]; alerts: string[] };
  readonly plugins: { sha256: string | null; plugins: string[] };
  /** sso.yaml: whether it turns single sign-on on, and what each group grants (no file: sha256 null, off). */
  readonly sso: { sha256: string | null; enabled: boolean; groups: Record<string, Grant> };
  /** scim.yaml: what each group grants, by its name lower-cased as it is matched (no file: sha256 null, no group). */
  readonly scim: { sha256: string | null; unknownGroups: 'refuse' | 'ignore'; groups: Record<string, Grant> };
}

type Grant = { roles: string[]; teams: string[] };

type CaseTypeLike = { definition: { key: string; version: number; policies?: readonly unknown[] }; digest: string };

/** The case types part, from loaded or checked case types. */
export function caseTypesSnapshot(types: readonly CaseTypeLike[]): ConfigSnapshot['caseTypes'] {
  return [...types]
    .sort((a, b) => a.definition.key.localeCompare(b.definition.key) || a.definition.version - b.definition.version)
    .map((t) => ({
      key: t.definition.key,
      version: t.definition.version,
      sha256: t.digest,
      policies: ((t.definition.policies ?? []) as { key: string; version: number }[]).map((p) => ({ key: p.key, version: p.version, sha256: digestOf(p) })),
    }));
}

/** The snapshot of a checked directory (call only when it has no errors). */
export function snapshotOf(checked: CheckedConfig): ConfigSnapshot {
  const roles = checked.roles?.definitions ?? {};
  return {
    caseTypes: caseTypesSnapshot(checked.caseTypes),
    roles: { sha256: sha256Hex(canonicalJson(roles)), roles },
    teams: { declared: checked.teams !== undefined, teams: Object.fromEntries([...(checked.teams ?? new Map<string, string[]>())].map(([team, queues]) => [team, [...queues]])) },
    intake: intakeSnapshot(checked.sources.intake),
    plugins: pluginsSnapshot(checked.sources.plugins),
    sso: {
      sha256: checked.sources.sso ? digestOf(checked.sources.sso.value ?? {}) : null,
      enabled: checked.sso?.enabled ?? false,
      groups: grantsSnapshot(checked.sso?.groups),
    },
    scim: {
      sha256: checked.sources.scim ? digestOf(checked.sources.scim.value ?? {}) : null,
      unknownGroups: checked.scim?.unknownGroups ?? 'ignore',
      groups: grantsSnapshot(checked.scim?.groups),
    },
  };
}

function grantsSnapshot(groups: ReadonlyMap<string, GroupGrant> | undefined): Record<string, Grant> {
  return Object.fromEntries([...(groups ?? new Map<string, GroupGrant>())].sort(([a], [b]) => a.localeCompare(b)).map(([group, g]) => [group, { roles: [...g.roles].sort(), teams: [...g.teams].sort() }]));
}

function intakeSnapshot(source: YamlSource | undefined): ConfigSnapshot['intake'] {
  const doc = (source?.value ?? {}) as { addresses?: Record<string, unknown>; routes?: { name?: string }[]; forms?: Record<string, unknown>; alerts?: Record<string, unknown> };
  return {
    sha256: source ? digestOf(source.value ?? {}) : null,
    addresses: Object.keys(doc.addresses ?? {}).map((a) => a.trim().toLowerCase()).sort(),
    routes: (doc.routes ?? []).map((r) => String(r.name)),
    forms: Object.keys(doc.forms ?? {}).sort(),
    alerts: Object.keys(doc.alerts ?? {}).sort(),
  };
}

function pluginsSnapshot(source: YamlSource | undefined): ConfigSnapshot['plugins'] {
  const doc = (source?.value ?? {}) as { plugins?: Record<string, unknown> };
  return { sha256: source ? digestOf(source.value ?? {}) : null, plugins: Object.keys(doc.plugins ?? {}).sort() };
}

/** SHA-256 of canonical JSON; a value canonical JSON refuses (a float) falls back to plain JSON. */
function digestOf(value: unknown): string {
  try {
    return sha256Hex(canonicalJson(value));
  } catch {
    return sha256Hex(JSON.stringify(value));
  }
}
