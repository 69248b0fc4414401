import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** A secret's source: an environment variable or a file (e.g. a mounted secret); never the config file itself. */
export type SecretSource = { readonly env: string } | { readonly file: string };

/** One plugin as the deployment configures it in `<configDir>/plugins.yaml`. */
export interface PluginSettings {
  readonly id: string;
  /** The plugin's directory, holding `latch-plugin.json`. */
  readonly dir: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly secrets: Readonly<Record<string, SecretSource>>;
}

/**
 * Reads `plugins.yaml`:
 * ```yaml
 * plugins:
 *   stripe:
 *     path: ../plugins/stripe          # relative to the config directory
 *     config: { apiBase: "http://127.0.0.1:12111" }
 *     secrets: { apiKey: { env: STRIPE_API_KEY } }
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
  const parsed = (parseYaml(text) ?? {}) as { plugins?: Record<string, { path?: unknown; config?: unknown; secrets?: unknown }> };
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
    };
  });
}

/** Reads the secret values at start; a missing one is reported by name only. */
export function resolveSecrets(settings: PluginSettings, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, source] of Object.entries(settings.secrets)) {
    const value = 'env' in source ? env[source.env] : readSecretFile(source.file);
    if (value === undefined || value === '') throw new Error(`Plugin '${settings.id}': secret '${name}' is not set (${'env' in source ? `environment variable ${source.env}` : `file ${source.file}`})`);
    values[name] = value;
  }
  return values;
}

function readSecretFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}
