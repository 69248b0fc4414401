import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../execution/plugin-runtime.js';

/** A secret's source: an environment variable or a file (e.g. a mounted secret); never the config file itself. */
export type SecretSource = { readonly env: string } | { readonly file: string };

/** One plugin as the deployment configures it in `<configDir>/plugins.yaml`. */
export interface PluginSettings {
  readonly id: string;
  /** The plugin's directory, holding `latch-plugin.json`. */
  readonly dir: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, SecretSource>>;
  /** Automatic retries of a retryable failure (default 5 attempts, 2 s doubling). */
  readonly retry?: RetryPolicy;
  /** The case types whose cases this deployment asks the plugin for context (`case.context`); none when omitted. */
  readonly context?: readonly string[];
}

/**
 * Reads `plugins.yaml`:
 * ```yaml
 * plugins:
 *   stripe:
 *     path: ../plugins/stripe          # relative to the config directory
 *     config: { apiBase: "http://127.0.0.1:12111" }
 *     secrets: { apiKey: { env: STRIPE_API_KEY } }
 *     retry: { attempts: 5, firstDelayMs: 2000 }   # optional; doubles each time, capped at 5 min
 *     context: [refund]                            # optional; ask for context on cases of these types ("*": all it offers)
 * ```
 * A missing file means no plugins.
 */
export function loadPluginSettings(configDir: string): PluginSettings[] {
  const file = join(configDir, 'plugins.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const parsed = (parseYaml(text) ?? {}) as { plugins?: Record<string, { path?: unknown; config?: unknown; secrets?: unknown; retry?: unknown; context?: unknown }> };
  return Object.entries(parsed.plugins ?? {}).map(([id, entry]) => {
    if (typeof entry?.path !== 'string') throw new Error(`${file}: plugin '${id}' needs a path`);
    const secrets = (entry.secrets ?? {}) as Record<string, SecretSource>;
    for (const [name, source] of Object.entries(secrets)) {
      const ok = source && typeof source === 'object' && (typeof (source as { env?: unknown }).env === 'string' || typeof (source as { file?: unknown }).file === 'string');
      if (!ok) throw new Error(`${file}: secret '${name}' of plugin '${id}' must be {env: NAME} or {file: PATH}; secret values never go in this file`);
    }
    return {
      id,
      dir: isAbsolute(entry.path) ? entry.path : resolve(configDir, entry.path),
      config: (entry.config ?? {}) as Record<string, unknown>,
      secrets,
      retry: retryPolicyOf(entry.retry, `${file}: plugin '${id}'`),
      ...(entry.context === undefined || entry.context === null ? {} : { context: contextTypesOf(entry.context, `${file}: plugin '${id}'`) }),
    };
  });
}

function contextTypesOf(value: unknown, where: string): string[] {
  const ok = Array.isArray(value) && value.length > 0 && value.every((t) => typeof t === 'string' && t.trim() !== '');
  if (!ok) throw new Error(`${where}: context must be a list of case types, like [refund] (or ["*"])`);
  return value as string[];
}

function retryPolicyOf(value: unknown, where: string): RetryPolicy {
  if (value === undefined || value === null) return DEFAULT_RETRY_POLICY;
  const { attempts = DEFAULT_RETRY_POLICY.attempts, firstDelayMs = DEFAULT_RETRY_POLICY.firstDelayMs, ...rest } = value as Record<string, unknown>;
  const whole = (n: unknown, min: number, max: number) => Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;
  if (Object.keys(rest).length > 0 || !whole(attempts, 1, 20) || !whole(firstDelayMs, 10, 300_000)) {
    throw new Error(`${where}: retry must be { attempts: 1..20, firstDelayMs: 10..300000 }`);
  }
  return { attempts: attempts as number, firstDelayMs: firstDelayMs as number };
}

/** Reads the secret values at start; a missing one is reported by name only. */
export function resolveSecrets(settings: PluginSettings, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, source] of Object.entries(settings.secrets)) {
    const value = readSecret(source, env);
    if (value === undefined) throw new Error(`Plugin '${settings.id}': secret '${name}' is not set (${describeSecretSource(source)})`);
    values[name] = value;
  }
  return values;
}

/** One secret's value from its source (a file's content trimmed), or undefined when unset or empty. */
export function readSecret(source: SecretSource, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = 'env' in source ? env[source.env] : readSecretFile(source.file);
  return value === undefined || value === '' ? undefined : value;
}

/** Where a secret comes from, for an error message (never its value). */
export function describeSecretSource(source: SecretSource): string {
  return 'env' in source ? `environment variable ${source.env}` : `file ${source.file}`;
}

function readSecretFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
