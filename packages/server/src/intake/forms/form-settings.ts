import type { Priority } from '@latch/core';
import type { CaseTypeRegistry } from '../../case-types/registry.js';
import { StartupError } from '../../startup-error.js';
import type { IntakeConfig, IntakeTarget } from '../intake-config.js';

/** One public form as intake.yaml's `forms` section declares it, with the defaults filled in. */
export interface FormSettings {
  readonly slug: string;
  readonly target: IntakeTarget;
  readonly title: string;
  readonly intro: string;
  /** The largest post accepted, in bytes (413 PAYLOAD_TOO_LARGE above it). */
  readonly maxBytes: number;
  /** Posts per client address in a sliding hour (429 RATE_LIMITED above it). */
  readonly perClientPerHour: number;
}

export const FORM_DEFAULTS = { maxBytes: 32 * 1024, perClientPerHour: 20 } as const;

interface FormEntry {
  type: string;
  queue?: string;
  priority?: Priority;
  title?: string;
  intro?: string;
  maxBytes?: number;
  perClientPerHour?: number;
}

/** The forms of the configuration (its schema already checked), each naming a case type this deployment knows. */
export function readForms(config: IntakeConfig, caseTypes: CaseTypeRegistry): ReadonlyMap<string, FormSettings> {
  const known = new Set(caseTypes.list().map((t) => t.definition.key));
  const forms = new Map<string, FormSettings>();
  for (const [slug, value] of Object.entries(config.forms)) {
    const entry = value as FormEntry;
    if (!known.has(entry.type)) throw new StartupError(`${config.file ?? 'intake.yaml'}: /forms/${slug}/type '${entry.type}' is not a known case type`);
    const type = caseTypes.latest(entry.type).definition;
    forms.set(slug, {
      slug,
      target: { type: entry.type, ...(entry.queue ? { queue: entry.queue } : {}), ...(entry.priority ? { priority: entry.priority } : {}) },
      title: entry.title ?? type.name,
      intro: entry.intro ?? type.description ?? '',
      maxBytes: entry.maxBytes ?? FORM_DEFAULTS.maxBytes,
      perClientPerHour: entry.perClientPerHour ?? FORM_DEFAULTS.perClientPerHour,
    });
  }
  return forms;
}
