import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemas, type ClassifyParams, type ContextParams, type ContextResult, type Manifest } from '@latch/protocol';
import { compileOnFirstUse } from '../http/ajv.js';
import { DEFAULT_RETRY_POLICY, type ExecuteCall, type ExecuteOutcome, type PluginRuntime, type ReconcileCall, type ReconcileOutcome, type RetryPolicy } from '../execution/plugin-runtime.js';
import type { WebhookAnswer, WebhookDelivery, WebhookReceiver } from '../execution/receive-webhook.js';
import type { PluginDirectory } from './plugin-availability.js';
import { resolveSecrets, type PluginSettings } from './plugin-config.js';
import { PluginProcess } from './plugin-process.js';

const DEFAULT_TIMEOUT_MS = 30_000;
/** A webhook sender waits for the answer (Stripe: up to 10 s) and only needs a verification, never a call out. */
const WEBHOOK_TIMEOUT_MS = 5_000;
/** Context is read while a case opens: an external system slower than this is retried later. */
const CONTEXT_TIMEOUT_MS = 10_000;
const validateManifest = compileOnFirstUse(schemas.manifest);
const validateContext = compileOnFirstUse(schemas.contextResult);

/** Reads and checks a plugin's `latch-plugin.json`; throws naming the file and every problem. */
export function readManifest(dir: string): Manifest {
  const file = join(dir, 'latch-plugin.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  if (!validateManifest(parsed)) {
    throw new Error(`${file}: ${(validateManifest.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
  return parsed as unknown as Manifest;
}

export interface LoadedPlugin {
  readonly settings: PluginSettings;
  readonly manifest: Manifest;
  readonly process: PluginProcess;
  readonly secretValues: readonly string[];
}

/** The plugins of a deployment, started and supervised; implements what execution needs. */
export class PluginHost implements PluginRuntime, WebhookReceiver, PluginDirectory {
  readonly #plugins = new Map<string, LoadedPlugin>();

  private constructor(private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void) {}

  /**
   * Loads every configured plugin: a bad manifest, missing secret or failed handshake stops
   * start-up loudly, naming the plugin (a deployment never runs with a plugin it can't trust).
   */
  static async start(settings: readonly PluginSettings[], log: PluginHost['log']): Promise<PluginHost> {
    const host = new PluginHost(log);
    try {
      for (const entry of settings) {
        const manifest = readManifest(entry.dir);
        if (manifest.id !== entry.id) throw new Error(`plugins.yaml names '${entry.id}' but ${entry.dir} holds plugin '${manifest.id}'`);
        const secrets = resolveSecrets(entry);
        const declaredSecrets = new Set(manifest.config.filter((c) => c.secret).map((c) => c.name));
        const extra = Object.keys(secrets).filter((name) => !declaredSecrets.has(name));
        if (extra.length > 0) throw new Error(`plugin '${entry.id}' is given secrets its manifest does not declare: ${extra.join(', ')}`);
        const process = new PluginProcess({ id: entry.id, dir: entry.dir, declared: manifest, config: entry.config, secrets, log });
        host.#plugins.set(entry.id, { settings: entry, manifest, process, secretValues: Object.values(secrets) });
        await process.start();
        checkContextSettings(entry, process.capabilities.context?.caseTypes);
      }
    } catch (error) {
      await host.stop();
      throw error;
    }
    return host;
  }

  list(): { id: string; version: string; name: string; actions: string[]; state: string; restarts: number; lastError?: string | undefined }[] {
    return [...this.#plugins.values()].map((p) => ({
      id: p.manifest.id,
      version: p.manifest.version,
      name: p.manifest.name,
      actions: p.manifest.actions.map((a) => a.name),
      ...p.process.state,
    }));
  }

  manifest(pluginId: string): Manifest | undefined {
    return this.#plugins.get(pluginId)?.manifest;
  }

  /** The plugin process's state (`ready`, `starting`, `down`, `failed`), or undefined when not configured. */
  health(pluginId: string): { state: string } | undefined {
    const plugin = this.#plugins.get(pluginId);
    return plugin ? { state: plugin.process.state.state } : undefined;
  }

  async execute(pluginId: string, params: ExecuteCall): Promise<ExecuteOutcome> {
    const plugin = this.#require(pluginId);
    const timeout = plugin.manifest.actions.find((a) => a.name === params.action)?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return (await plugin.process.call('action.execute', params, timeout)) as ExecuteOutcome;
  }

  async reconcile(pluginId: string, params: ReconcileCall): Promise<ReconcileOutcome> {
    const plugin = this.#require(pluginId);
    const timeout = plugin.manifest.actions.find((a) => a.name === params.action)?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const answer = (await plugin.process.call('action.reconcile', params, timeout)) as { found?: unknown; result?: ExecuteOutcome };
    // Anything but a clear answer is "can't tell": the caller must not act on a guess.
    if (answer?.found === false) return { found: false };
    if (answer?.found === true && answer.result && ['succeeded', 'failed', 'pending'].includes(answer.result.status)) return { found: true, result: answer.result };
    throw new Error(`plugin ${pluginId} answered action.reconcile with neither {found: false} nor {found: true, result}`);
  }

  canReconcile(pluginId: string, action: string): boolean {
    return this.#plugins.get(pluginId)?.process.capabilities.reconcile?.actions.includes(action) === true;
  }

  receivesWebhooks(pluginId: string): boolean {
    return this.#plugins.get(pluginId)?.process.capabilities.webhooks?.version === 1;
  }

  /** Hands a delivery to the plugin to verify (`webhook.receive`); rejects with the plugin's RpcError when it refuses. */
  async webhook(pluginId: string, delivery: WebhookDelivery): Promise<WebhookAnswer> {
    return (await this.#require(pluginId).process.call('webhook.receive', delivery, WEBHOOK_TIMEOUT_MS)) as WebhookAnswer;
  }

  /** The plugins this deployment asks for context on cases of `caseType` (plugins.yaml `context:`, within what each offers). */
  contextSources(caseType: string): string[] {
    return [...this.#plugins.values()]
      .filter((p) => {
        const offered = p.process.capabilities.context?.caseTypes ?? [];
        const asked = p.settings.context ?? [];
        const has = (list: readonly string[]) => list.includes('*') || list.includes(caseType);
        return this.seesCaseType(p.manifest.id, caseType) && has(offered) && has(asked);
      })
      .map((p) => p.manifest.id);
  }

  /** Asks a plugin for context on a case (`case.context`); rejects when it fails or answers outside the schema. */
  async fetchContext(pluginId: string, params: ContextParams): Promise<ContextResult> {
    const answer = await this.#require(pluginId).process.call('case.context', params, CONTEXT_TIMEOUT_MS);
    if (!validateContext(answer)) throw new Error(`plugin ${pluginId} answered case.context outside the schema: ${(validateContext.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
    return answer as unknown as ContextResult;
  }

  /** Whether the plugin offered `case.classify` (capability `classify`) at its handshake. */
  classifies(pluginId: string): boolean {
    return this.#plugins.get(pluginId)?.process.capabilities.classify?.version === 1;
  }

  /** Asks a plugin for a triage suggestion (`case.classify`); the answer is untrusted: the caller checks it. */
  async classify(pluginId: string, params: ClassifyParams, timeoutMs: number): Promise<unknown> {
    return this.#require(pluginId).process.call('case.classify', params, timeoutMs);
  }

  retryPolicy(pluginId: string): RetryPolicy {
    return this.#plugins.get(pluginId)?.settings.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** The actions a plugin offers for a case, with suggested input; a plugin that fails is skipped. */
  async listActions(pluginId: string, caseContext: ExecuteCall['case']): Promise<{ name: string; title: string; suggestedInput?: unknown }[]> {
    const plugin = this.#require(pluginId);
    const result = (await plugin.process.call('actions.list', { case: caseContext }, 5_000)) as { actions?: { name: string; title: string; suggestedInput?: unknown }[] };
    return result.actions ?? [];
  }

  secretValues(pluginId: string): readonly string[] {
    return this.#plugins.get(pluginId)?.secretValues ?? [];
  }

  caseFields(pluginId: string): readonly string[] | undefined {
    return this.#plugins.get(pluginId)?.manifest.caseFields;
  }

  /** Whether the plugin may see cases of this type. */
  seesCaseType(pluginId: string, type: string): boolean {
    const types = this.#plugins.get(pluginId)?.manifest.caseTypes ?? [];
    return types.includes('*') || types.includes(type);
  }

  ids(): string[] {
    return [...this.#plugins.keys()];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#plugins.values()].map((p) => p.process.stop().catch(() => undefined)));
  }

  #require(pluginId: string): LoadedPlugin {
    const plugin = this.#plugins.get(pluginId);
    if (!plugin) throw new Error(`plugin '${pluginId}' is not configured in this deployment`);
    return plugin;
  }
}

/** A deployment that asks a plugin for context it does not offer is a configuration mistake: said at start, not discovered per case. */
function checkContextSettings(entry: PluginSettings, offered: readonly string[] | undefined): void {
  if (!entry.context) return;
  if (!offered) throw new Error(`plugins.yaml asks plugin '${entry.id}' for context, but it does not offer the context capability`);
  const missing = offered.includes('*') ? [] : entry.context.filter((type) => type !== '*' && !offered.includes(type));
  if (missing.length > 0) throw new Error(`plugins.yaml asks plugin '${entry.id}' for context on ${missing.join(', ')}, but it offers context only for ${offered.join(', ')}`);
}
