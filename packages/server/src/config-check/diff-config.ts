import type { ConfigSnapshot } from './snapshot.js';

type PolicyChange = { key: string; from: number | null; to: number; note?: string };

/** What a configuration would change against the running one. */
export interface ConfigDiff {
  readonly caseTypes: {
    /** Versions on disk the running server does not have: new cases would use the newest. */
    readonly added: { key: string; version: number; previous: number | null; policies: PolicyChange[] }[];
    /** Versions the server runs with different content: refused (publish a new version instead). */
    readonly edited: { key: string; version: number }[];
  };
  readonly roles: {
    readonly added: string[];
    readonly removed: string[];
    readonly changed: { role: string; permissionsAdded: string[]; permissionsRemoved: string[]; description: boolean }[];
  };
  readonly teams: { added: string[]; removed: string[]; changed: { team: string; queuesAdded: string[]; queuesRemoved: string[] }[] };
  readonly intake: { changed: boolean; addressesAdded: string[]; addressesRemoved: string[]; routesAdded: string[]; routesRemoved: string[]; formsChanged: boolean; alertsChanged: boolean };
  readonly plugins: { changed: boolean; added: string[]; removed: string[] };
  /** sso.yaml; `enabled` is set only when it turns single sign-on on or off (a restart does that). */
  readonly sso: GroupsDiff & { enabled: { from: boolean; to: boolean } | null };
  readonly scim: GroupsDiff;
  /** Whether anything at all differs. */
  readonly changed: boolean;
  /** What a reload does not apply: these need a restart of `latch serve`. */
  readonly restartNeeded: string[];
}

/** A group → roles and teams file (sso.yaml, scim.yaml): whether it changed at all, and which groups' grants did. */
interface GroupsDiff {
  readonly changed: boolean;
  readonly groupsAdded: string[];
  readonly groupsRemoved: string[];
  readonly groupsChanged: string[];
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

type Grants = ConfigSnapshot['sso']['groups'];

function groupsDiff(sha0: string | null, sha1: string | null, g0: Grants, g1: Grants): GroupsDiff {
  const same = (group: string) => JSON.stringify(g0[group]) === JSON.stringify(g1[group]);
  return {
    changed: sha0 !== sha1,
    groupsAdded: minus(Object.keys(g1), Object.keys(g0)),
    groupsRemoved: minus(Object.keys(g0), Object.keys(g1)),
    groupsChanged: Object.keys(g1).filter((group) => g0[group] !== undefined && !same(group)),
  };
}

/** Compares a configuration (`next`, usually a directory) with the one running (`running`). */
export function diffConfig(running: ConfigSnapshot, next: ConfigSnapshot): ConfigDiff {
  const runningVersion = (key: string, version: number) => running.caseTypes.find((t) => t.key === key && t.version === version);
  const newestRunning = (key: string) => running.caseTypes.filter((t) => t.key === key).sort((a, b) => b.version - a.version)[0];
  const added = next.caseTypes
    .filter((t) => !runningVersion(t.key, t.version))
    .map((t) => {
      const previous = newestRunning(t.key);
      const policies: PolicyChange[] = [];
      for (const policy of t.policies) {
        const before = previous?.policies.find((p) => p.key === policy.key);
        if (!before) policies.push({ key: policy.key, from: null, to: policy.version });
        else if (before.version !== policy.version) policies.push({ key: policy.key, from: before.version, to: policy.version });
        else if (before.sha256 !== policy.sha256) policies.push({ key: policy.key, from: before.version, to: policy.version, note: 'content changed under the same policy version' });
      }
      return { key: t.key, version: t.version, previous: previous?.version ?? null, policies };
    });
  const edited = next.caseTypes.filter((t) => runningVersion(t.key, t.version) && runningVersion(t.key, t.version)!.sha256 !== t.sha256).map((t) => ({ key: t.key, version: t.version }));

  const before = running.roles.roles;
  const after = next.roles.roles;
  const roles = {
    added: minus(Object.keys(after), Object.keys(before)),
    removed: minus(Object.keys(before), Object.keys(after)),
    changed: Object.keys(after)
      .filter((r) => before[r] !== undefined)
      .map((role) => ({
        role,
        permissionsAdded: minus(after[role]!.permissions, before[role]!.permissions),
        permissionsRemoved: minus(before[role]!.permissions, after[role]!.permissions),
        description: after[role]!.description !== before[role]!.description,
      }))
      .filter((c) => c.permissionsAdded.length > 0 || c.permissionsRemoved.length > 0 || c.description),
  };
  const t0 = running.teams.teams;
  const t1 = next.teams.teams;
  const teams = {
    added: minus(Object.keys(t1), Object.keys(t0)),
    removed: minus(Object.keys(t0), Object.keys(t1)),
    changed: Object.keys(t1)
      .filter((team) => t0[team] !== undefined)
      .map((team) => ({ team, queuesAdded: minus(t1[team]!, t0[team]!), queuesRemoved: minus(t0[team]!, t1[team]!) }))
      .filter((c) => c.queuesAdded.length > 0 || c.queuesRemoved.length > 0),
  };
  const i0 = running.intake;
  const i1 = next.intake;
  const intake = {
    changed: i0.sha256 !== i1.sha256,
    addressesAdded: minus(i1.addresses, i0.addresses),
    addressesRemoved: minus(i0.addresses, i1.addresses),
    routesAdded: minus(i1.routes, i0.routes),
    routesRemoved: minus(i0.routes, i1.routes),
    formsChanged: i0.forms.join() !== i1.forms.join(),
    alertsChanged: i0.alerts.join() !== i1.alerts.join(),
  };
  const plugins = { changed: running.plugins.sha256 !== next.plugins.sha256, added: minus(next.plugins.plugins, running.plugins.plugins), removed: minus(running.plugins.plugins, next.plugins.plugins) };
  const sso = {
    ...groupsDiff(running.sso.sha256, next.sso.sha256, running.sso.groups, next.sso.groups),
    enabled: running.sso.enabled === next.sso.enabled ? null : { from: running.sso.enabled, to: next.sso.enabled },
  };
  const scim = groupsDiff(running.scim.sha256, next.scim.sha256, running.scim.groups, next.scim.groups);
  const restartNeeded = [
    ...(plugins.changed ? ['plugins.yaml (plugins are started with the server)'] : []),
    ...(intake.changed ? ['intake.yaml forms, alerts and the SMTP/IMAP settings (addresses and routing rules are reloaded)'] : []),
    ...(sso.enabled?.to === false ? ['sso.yaml turns single sign-on off (it stays on, with the settings it had, until a restart)'] : []),
    ...(sso.enabled?.to === true ? ['sso.yaml turns single sign-on on (it stays off until a restart)'] : []),
  ];
  const changed =
    added.length + edited.length + roles.added.length + roles.removed.length + roles.changed.length + teams.added.length + teams.removed.length + teams.changed.length > 0 ||
    running.teams.declared !== next.teams.declared ||
    intake.changed ||
    plugins.changed ||
    sso.changed ||
    scim.changed;
  return { caseTypes: { added, edited }, roles, teams, intake, plugins, sso, scim, changed, restartNeeded };
}

/** The diff in words, one line per change. */
export function describeDiff(diff: ConfigDiff): string[] {
  const lines: string[] = [];
  for (const t of diff.caseTypes.added) {
    lines.push(`+ case type ${t.key} version ${t.version}${t.previous === null ? ' (a new case type)' : ` (running: version ${t.previous}; new cases use version ${t.version}, cases in flight keep theirs)`}`);
    for (const p of t.policies) lines.push(`    policy ${p.key}: ${p.from === null ? `new, version ${p.to}` : `version ${p.from} -> ${p.to}`}${p.note ? ` (${p.note})` : ''}`);
  }
  for (const t of diff.caseTypes.edited) lines.push(`! case type ${t.key} version ${t.version} differs from the running one: refused, publish it as a new version`);
  for (const r of diff.roles.added) lines.push(`+ role ${r}`);
  for (const r of diff.roles.removed) lines.push(`- role ${r} (holders keep the name; it grants nothing)`);
  for (const c of diff.roles.changed) {
    const parts = [...c.permissionsAdded.map((p) => `+${p}`), ...c.permissionsRemoved.map((p) => `-${p}`), ...(c.description ? ['description'] : [])];
    lines.push(`~ role ${c.role}: ${parts.join(' ')}`);
  }
  for (const t of diff.teams.added) lines.push(`+ team ${t}`);
  for (const t of diff.teams.removed) lines.push(`- team ${t}`);
  for (const c of diff.teams.changed) lines.push(`~ team ${c.team}: queues ${[...c.queuesAdded.map((q) => `+${q}`), ...c.queuesRemoved.map((q) => `-${q}`)].join(' ')}`);
  if (diff.intake.changed) {
    const parts = [...diff.intake.addressesAdded.map((a) => `+address ${a}`), ...diff.intake.addressesRemoved.map((a) => `-address ${a}`), ...diff.intake.routesAdded.map((r) => `+route ${r}`), ...diff.intake.routesRemoved.map((r) => `-route ${r}`)];
    lines.push(`~ intake.yaml${parts.length > 0 ? `: ${parts.join(', ')}` : ' changed'}`);
  }
  if (diff.plugins.changed) lines.push(`~ plugins.yaml${[...diff.plugins.added.map((p) => ` +${p}`), ...diff.plugins.removed.map((p) => ` -${p}`)].join('') || ' changed'}`);
  if (diff.sso.changed) lines.push(`~ sso.yaml${groupsLine(diff.sso)}`);
  if (diff.scim.changed) lines.push(`~ scim.yaml${groupsLine(diff.scim)}`);
  if (!diff.changed) lines.push('no changes: the directory matches the running configuration');
  for (const what of diff.restartNeeded) lines.push(`restart needed for: ${what}`);
  return lines;
}

function groupsLine(diff: GroupsDiff): string {
  const parts = [...diff.groupsAdded.map((g) => `+group ${g}`), ...diff.groupsRemoved.map((g) => `-group ${g}`), ...diff.groupsChanged.map((g) => `~group ${g}`)];
  return parts.length > 0 ? `: ${parts.join(', ')}` : ' changed';
}
