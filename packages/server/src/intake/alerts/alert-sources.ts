import type { Priority } from '@latch/core';
import { Webhook } from 'standardwebhooks';
import type { CaseTypeRegistry } from '../../case-types/registry.js';
import { StartupError } from '../../startup-error.js';
import { readSecret, type IntakeConfig, type IntakeTarget, type SecretSource } from '../intake-config.js';

/** One alert source as intake.yaml's `alerts` section declares it, its secret read. */
export interface AlertSource {
  readonly name: string;
  readonly target: IntakeTarget;
  /** Verifies Standard Webhooks signatures with the source's secret (never kept anywhere else). */
  readonly webhook: Webhook;
  readonly maxBytes: number;
}

export const ALERT_DEFAULT_MAX_BYTES = 1024 * 1024;

interface AlertEntry {
  secret: SecretSource;
  type: string;
  queue?: string;
  priority?: Priority;
  maxBytes?: number;
}

/** The alert sources of the configuration: each names a known case type and a secret that is set (else Latch does not start). */
export function readAlertSources(config: IntakeConfig, caseTypes: CaseTypeRegistry): ReadonlyMap<string, AlertSource> {
  const known = new Set(caseTypes.list().map((t) => t.definition.key));
  const where = config.file ?? 'intake.yaml';
  const sources = new Map<string, AlertSource>();
  for (const [name, value] of Object.entries(config.alerts)) {
    const entry = value as AlertEntry;
    if (!known.has(entry.type)) throw new StartupError(`${where}: /alerts/${name}/type '${entry.type}' is not a known case type`);
    let webhook: Webhook;
    try {
      webhook = new Webhook(readSecret(entry.secret, `/alerts/${name}/secret`));
    } catch (error) {
      if (error instanceof StartupError) throw error;
      throw new StartupError(`${where}: /alerts/${name}/secret is not a Standard Webhooks secret (whsec_ and base64)`);
    }
    sources.set(name, {
      name,
      target: { type: entry.type, ...(entry.queue ? { queue: entry.queue } : {}), ...(entry.priority ? { priority: entry.priority } : {}) },
      webhook,
      maxBytes: entry.maxBytes ?? ALERT_DEFAULT_MAX_BYTES,
    });
  }
  return sources;
}
