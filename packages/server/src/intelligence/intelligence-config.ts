import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileOnFirstUse } from '../http/ajv.js';
import { StartupError } from '../startup-error.js';

/** What an external provider may see of cases of one type. The built-in model, local, sees everything. */
export interface Minimisation {
  /** Typed fields sent (none by default). */
  readonly fields: readonly string[];
  /** Whether the title and description are sent (off by default). */
  readonly text: boolean;
}

/** A configured provider: its kind (`openai`, `plugin`, …) and the settings that kind reads. */
export interface ProviderSettings {
  readonly id: string;
  readonly kind: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** `<configDir>/intelligence.yaml`, checked at startup. Without the file: the built-in model for every type. */
export interface IntelligenceConfig {
  /** How long a provider may take before the built-in model answers instead. */
  readonly timeoutMs: number;
  readonly builtin: {
    /** Below this confidence the built-in model suggests nothing. */
    readonly threshold: number;
    /** Background retraining interval (0: only on demand). */
    readonly retrainEveryMinutes: number;
    /** Fewer confirmed cases than this: no model yet, no suggestion. */
    readonly minExamples: number;
  };
  readonly providers: readonly ProviderSettings[];
  /** Case type → provider id; types not named are served by `builtin`. */
  readonly serve: ReadonlyMap<string, string>;
  readonly minimise: ReadonlyMap<string, Minimisation>;
  readonly file: string | undefined;
}

export const BUILTIN = 'builtin';
const NOTHING: Minimisation = { fields: [], text: false };

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    timeoutMs: { type: 'integer', minimum: 100, maximum: 120_000 },
    builtin: {
      type: 'object',
      additionalProperties: false,
      properties: {
        threshold: { type: 'number', minimum: 0, maximum: 1 },
        retrainEveryMinutes: { type: 'integer', minimum: 0, maximum: 10_080 },
        minExamples: { type: 'integer', minimum: 2, maximum: 1_000_000 },
      },
    },
    providers: {
      type: 'object',
      propertyNames: { pattern: '^[a-z][a-z0-9_-]{0,62}$' },
      additionalProperties: { type: 'object', required: ['kind'], properties: { kind: { type: 'string', minLength: 1 } } },
    },
    serve: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['caseTypes', 'provider'],
        properties: { caseTypes: { type: 'array', items: { type: 'string' }, minItems: 1 }, provider: { type: 'string' } },
      },
    },
    minimise: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { fields: { type: 'array', items: { type: 'string' } }, text: { type: 'boolean' } },
      },
    },
  },
} as const;

const validateFile = compileOnFirstUse(schema);

interface IntelligenceFile {
  timeoutMs?: number;
  builtin?: { threshold?: number; retrainEveryMinutes?: number; minExamples?: number };
  providers?: Record<string, { kind: string } & Record<string, unknown>>;
  serve?: { caseTypes: string[]; provider: string }[];
  minimise?: Record<string, { fields?: string[]; text?: boolean }>;
}

/** Reads and checks intelligence.yaml; a missing file means the built-in model for every case type. */
export function loadIntelligenceConfig(configDir: string, knownKinds: ReadonlySet<string>): IntelligenceConfig {
  const file = join(configDir, 'intelligence.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return parseIntelligenceConfig({}, undefined, knownKinds);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new StartupError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseIntelligenceConfig(raw, file, knownKinds);
}

/** Checks the file's shape, that every provider's kind is one this build knows, and that `serve` names configured providers. */
export function parseIntelligenceConfig(raw: unknown, file: string | undefined, knownKinds: ReadonlySet<string>): IntelligenceConfig {
  const where = file ?? 'intelligence.yaml';
  if (!validateFile(raw)) {
    const problems = (validateFile.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new StartupError(`${where}: ${problems.join('; ')}`);
  }
  const doc = raw as IntelligenceFile;
  const providers = Object.entries(doc.providers ?? {}).map(([id, { kind, ...settings }]): ProviderSettings => {
    if (id === BUILTIN) throw new StartupError(`${where}: /providers/${id}: '${BUILTIN}' is the built-in model's name`);
    if (!knownKinds.has(kind)) throw new StartupError(`${where}: /providers/${id}/kind '${kind}' is not one of: ${[...knownKinds].join(', ') || '(none in this build)'}`);
    return { id, kind, settings };
  });
  const ids = new Set([BUILTIN, ...providers.map((p) => p.id)]);
  const serve = new Map<string, string>();
  (doc.serve ?? []).forEach((entry, i) => {
    if (!ids.has(entry.provider)) throw new StartupError(`${where}: /serve/${i}/provider '${entry.provider}' is not configured under providers`);
    for (const type of entry.caseTypes) serve.set(type, entry.provider);
  });
  const minimise = new Map(Object.entries(doc.minimise ?? {}).map(([type, m]) => [type, { fields: m.fields ?? [], text: m.text ?? false }]));
  return {
    timeoutMs: doc.timeoutMs ?? 5_000,
    builtin: { threshold: doc.builtin?.threshold ?? 0.5, retrainEveryMinutes: doc.builtin?.retrainEveryMinutes ?? 60, minExamples: doc.builtin?.minExamples ?? 10 },
    providers,
    serve,
    minimise,
    file,
  };
}

/** The provider serving cases of this type. */
export function providerFor(config: IntelligenceConfig, caseType: string): string {
  return config.serve.get(caseType) ?? BUILTIN;
}

/** What an external provider may see of a case of this type. */
export function minimisationFor(config: IntelligenceConfig, caseType: string): Minimisation {
  return config.minimise.get(caseType) ?? NOTHING;
}
