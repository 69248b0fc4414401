import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

type Definition = { key: string; version: number; actions: { plugin: string; action: string; policy?: string }[]; policies: { key: string; version: number; steps: unknown[] }[] };

/** The newest refund version in a configuration directory, parsed. */
export function newestRefund(dir: string): Definition {
  const files = readdirSync(join(dir, 'case-types')).filter((f) => f.startsWith('refund.'));
  const all = files.map((f) => parseYaml(readFileSync(join(dir, 'case-types', f), 'utf8')) as Definition);
  return all.sort((a, b) => b.version - a.version)[0]!;
}

/** Publishes the next refund version whose refund policy needs two reviewers for every refund. */
export function publishStricterRefund(dir: string): { version: number; policy: { key: string; version: number } } {
  const next = structuredClone(newestRefund(dir));
  next.version += 1;
  const key = next.actions.find((a) => a.plugin === 'stripe' && a.action === 'refund')!.policy!;
  const policy = next.policies.find((p) => p.key === key)!;
  policy.version += 1;
  policy.steps = [{ name: 'Two reviewers for every refund', role: 'refund_approver', count: 2, expiresIn: 'P2D' }];
  writeFileSync(join(dir, 'case-types', `refund.v${next.version}.yaml`), stringifyYaml(next));
  return { version: next.version, policy: { key, version: policy.version } };
}

