import { isAbsolute, resolve } from 'node:path';
import { readManifest } from '../plugin-host/plugin-host.js';
import type { ConfigProblem } from './problem.js';
import type { YamlSource } from './yaml-source.js';

/** The configured plugins and the actions each offers (undefined when its manifest could not be read). */
export type PluginOffers = ReadonlyMap<string, ReadonlySet<string> | undefined>;

const HINT = 'each plugin is `id: {path: ../plugins/id, config: {...}, secrets: {name: {env: VAR}}}` (README "Plugins")';

/** Checks plugins.yaml and each plugin's manifest (latch-plugin.json); the processes are not started. */
export function checkPluginsFile(source: YamlSource | undefined, configDir: string): { problems: ConfigProblem[]; plugins?: PluginOffers } {
  if (!source) return { problems: [] };
  const problems: ConfigProblem[] = [...source.problems];
  if (problems.length > 0) return { problems };
  const top = (source.value ?? {}) as { plugins?: unknown };
  const entries = top.plugins ?? {};
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return { problems: [source.at(['plugins'], 'error', 'PLUGINS_INVALID', '/plugins must map plugin ids to their settings', HINT)] };
  const offers = new Map<string, ReadonlySet<string> | undefined>();
  for (const [id, value] of Object.entries(entries as Record<string, unknown>)) {
    const entry = (value ?? {}) as { path?: unknown; secrets?: unknown; retry?: unknown; context?: unknown };
    const at = ['plugins', id];
    if (typeof entry.path !== 'string') {
      problems.push(source.at(at, 'error', 'PLUGINS_INVALID', `plugin '${id}' needs a path`, 'path: the plugin\'s directory (holding latch-plugin.json), relative to the config directory'));
      continue;
    }
    for (const [name, secret] of Object.entries((entry.secrets ?? {}) as Record<string, unknown>)) {
      const s = secret as { env?: unknown; file?: unknown } | null;
      if (!s || (typeof s.env !== 'string' && typeof s.file !== 'string')) {
        problems.push(source.at([...at, 'secrets', name], 'error', 'PLUGINS_INVALID', `secret '${name}' of plugin '${id}' must be {env: NAME} or {file: PATH}`, 'secret values never go in this file'));
      }
    }
    if (entry.context !== undefined && !(Array.isArray(entry.context) && entry.context.length > 0 && entry.context.every((t) => typeof t === 'string' && t.trim() !== ''))) {
      problems.push(source.at([...at, 'context'], 'error', 'PLUGINS_INVALID', `plugin '${id}': context must be a list of case types`, 'like [refund] (or ["*"])'));
    }
    const dir = isAbsolute(entry.path) ? entry.path : resolve(configDir, entry.path);
    try {
      const manifest = readManifest(dir);
      if (manifest.id !== id) problems.push(source.at([...at, 'path'], 'error', 'PLUGIN_MANIFEST_INVALID', `plugins.yaml names '${id}' but ${dir} holds plugin '${manifest.id}'`, `name it '${manifest.id}', or point path at the '${id}' plugin`));
      offers.set(id, new Set(manifest.actions.map((a) => a.name)));
    } catch (failure) {
      problems.push(source.at([...at, 'path'], 'error', 'PLUGIN_MANIFEST_INVALID', `plugin '${id}': ${(failure as Error).message}`, 'point path at a plugin directory holding a valid latch-plugin.json'));
      offers.set(id, undefined);
    }
  }
  return { problems, plugins: offers };
}
