import { isAbsolute, resolve } from 'node:path';
import { compileOnFirstUse } from '../../http/ajv.js';
import { describeSecretSource, readSecret, type SecretSource } from '../../plugin-host/plugin-config.js';
import { StartupError } from '../../startup-error.js';
import type { OpenAiProviderOptions } from './openai-provider.js';

/** One provider as intelligence.yaml configures it: its id and the settings of its kind. */
export interface ConfiguredProvider {
  readonly id: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

const secretSource = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: { env: { type: 'string', minLength: 1 }, file: { type: 'string', minLength: 1 } },
} as const;

const openAiShape = compileOnFirstUse({
  type: 'object',
  additionalProperties: false,
  required: ['url', 'model'],
  properties: {
    url: { type: 'string', pattern: '^https?://[^\\s]+$' },
    model: { type: 'string', minLength: 1, maxLength: 200 },
    apiKey: secretSource,
    timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 },
    maxRetries: { type: 'integer', minimum: 0, maximum: 3 },
    temperature: { type: 'number', minimum: 0, maximum: 2 },
    maxTextChars: { type: 'integer', minimum: 0, maximum: 100_000 },
  },
});

const pluginShape = compileOnFirstUse({
  type: 'object',
  additionalProperties: false,
  required: ['plugin'],
  properties: { plugin: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,62}$' }, timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 } },
});

function refuse(provider: ConfiguredProvider, errors: { instancePath: string; message?: string | undefined }[] | null | undefined): never {
  const problems = (errors ?? []).map((e) => `/providers/${provider.id}${e.instancePath} ${e.message ?? 'is invalid'}`);
  throw new StartupError(`intelligence.yaml: ${problems.join('; ')}`);
}

/**
 * `kind: openai` settings: `url`, `model`, optional `apiKey` ({env: NAME} or {file: PATH}, a path
 * relative to the config directory), `timeoutMs`, `maxRetries`, `temperature`, `maxTextChars`. The key is read now:
 * a missing one stops startup, naming where it was looked for, never its value.
 */
export function openAiOptionsOf(provider: ConfiguredProvider, configDir: string, env: NodeJS.ProcessEnv = process.env): OpenAiProviderOptions {
  const settings = provider.settings as { url: string; model: string; apiKey?: SecretSource; timeoutMs?: number; maxRetries?: number; temperature?: number; maxTextChars?: number };
  if (!openAiShape(settings)) refuse(provider, openAiShape.errors);
  let apiKey: string | undefined;
  if (settings.apiKey) {
    const source = 'file' in settings.apiKey && !isAbsolute(settings.apiKey.file) ? { file: resolve(configDir, settings.apiKey.file) } : settings.apiKey;
    apiKey = readSecret(source, env);
    if (apiKey === undefined) throw new StartupError(`intelligence.yaml: provider '${provider.id}': apiKey is not set (${describeSecretSource(source)})`);
  }
  const { timeoutMs, maxRetries, temperature, maxTextChars } = settings;
  return { id: provider.id, baseURL: settings.url, model: settings.model, apiKey, timeoutMs, maxRetries, temperature, maxTextChars };
}

/** `kind: plugin` settings: `plugin` (its id in plugins.yaml) and an optional `timeoutMs`. */
export function pluginOptionsOf(provider: ConfiguredProvider): { plugin: string; timeoutMs?: number | undefined } {
  if (!pluginShape(provider.settings)) refuse(provider, pluginShape.errors);
  return provider.settings as { plugin: string; timeoutMs?: number };
}
