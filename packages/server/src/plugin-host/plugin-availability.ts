import { LatchError, type ErrorCode } from '@latch/core';
import type { Manifest } from '@latch/protocol';

/** What the deployment's plugins look like from outside: their manifests and whether each is running. */
export interface PluginDirectory {
  manifest(pluginId: string): Manifest | undefined;
  health(pluginId: string): { readonly state: string } | undefined;
}

/** Why an approved action is not running: its plugin is not configured, lacks the action, or is down. */
export interface PluginBlock {
  readonly code: Extract<ErrorCode, 'PLUGIN_NOT_CONFIGURED' | 'PLUGIN_ACTION_UNKNOWN' | 'PLUGIN_UNAVAILABLE'>;
  readonly plugin: string;
  readonly action: string;
  /** The plugin process's state (`down`, `failed`, `starting`), for PLUGIN_UNAVAILABLE. */
  readonly state?: string;
  readonly message: string;
}

/** Statuses in which an action waits on its plugin: approved and not yet finished. */
const WAITING_ON_PLUGIN: ReadonlySet<string> = new Set(['approved', 'queued', 'running']);

/**
 * The refusal for a proposal no configured plugin could ever run, or undefined when it can run.
 * A deployment with no plugins at all (`plugins` undefined) refuses nothing: approved actions wait
 * there until plugins are configured, and say so (`blockOf`). That is how the approval flow is
 * tried out, the demo included, before anything is connected to Stripe.
 */
export function proposalRefusal(plugins: PluginDirectory | undefined, plugin: string, action: string): LatchError | undefined {
  if (!plugins) return undefined;
  const manifest = plugins.manifest(plugin);
  if (!manifest) {
    return new LatchError('PLUGIN_NOT_CONFIGURED', `Plugin '${plugin}' is not configured on this server (plugins.yaml), so ${plugin}.${action} could never run`, { plugin, action });
  }
  if (!manifest.actions.some((a) => a.name === action)) {
    return new LatchError('PLUGIN_ACTION_UNKNOWN', `Plugin '${plugin}' does not offer the action '${action}' (it offers: ${manifest.actions.map((a) => a.name).join(', ')})`, {
      plugin,
      action,
      offered: manifest.actions.map((a) => a.name),
    });
  }
  return undefined;
}

/** Throws the refusal of `proposalRefusal`, if any. */
export function refuseUnrunnableProposal(plugins: PluginDirectory | undefined, plugin: string, action: string): void {
  const refusal = proposalRefusal(plugins, plugin, action);
  if (refusal) throw refusal;
}

/** Why an approved action is waiting on its plugin right now, or null when nothing stands in its way. */
export function blockOf(plugins: PluginDirectory | undefined, action: { plugin: string; action: string; status: string }): PluginBlock | null {
  if (!WAITING_ON_PLUGIN.has(action.status)) return null;
  const { plugin, action: name } = action;
  const refusal = proposalRefusal(plugins ?? NO_PLUGINS, plugin, name);
  if (refusal) {
    const code = refusal.code as PluginBlock['code'];
    const message =
      code === 'PLUGIN_NOT_CONFIGURED'
        ? `Waiting for plugin '${plugin}', which is not configured on this server`
        : `Waiting: plugin '${plugin}' does not offer the action '${name}'`;
    return { code, plugin, action: name, message };
  }
  const state = plugins?.health(plugin)?.state;
  if (state === undefined || state === 'ready') return null;
  return { code: 'PLUGIN_UNAVAILABLE', plugin, action: name, state, message: `Plugin '${plugin}' is ${state}: the action cannot run until it is back` };
}

const NO_PLUGINS: PluginDirectory = { manifest: () => undefined, health: () => undefined };
