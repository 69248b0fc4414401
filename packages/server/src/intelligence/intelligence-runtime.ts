import type { CaseTypeRegistry } from '../case-types/registry.js';
import type { Database } from '../db/database.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { describeError } from '../loggable-error.js';
import type { PluginHost } from '../plugin-host/plugin-host.js';
import { BuiltinProvider } from './builtin-provider.js';
import { BUILTIN, loadIntelligenceConfig, type IntelligenceConfig } from './intelligence-config.js';
import { PROVIDER_KINDS } from './provider-kinds.js';
// Registers the `openai` and `plugin` kinds intelligence.yaml may name.
import './providers/index.js';
import type { IntelligenceProvider } from './provider.js';
import { suggestTriage } from './suggest-triage.js';
import { TRIAGE_QUEUE, type TriageJob } from './triage-state.js';

/** The deployment's intelligence: its configuration and providers (the built-in model among them). */
export interface Intelligence {
  readonly config: IntelligenceConfig;
  readonly builtin: BuiltinProvider;
  /** Every configured provider by id, `builtin` included. */
  readonly providers: ReadonlyMap<string, IntelligenceProvider>;
}

/** Reads intelligence.yaml (refusing a bad one at startup) and builds its providers. */
export function openIntelligence(configDir: string, database: Database, plugins: PluginHost | undefined): Intelligence {
  const config = loadIntelligenceConfig(configDir, new Set(PROVIDER_KINDS.keys()));
  const builtin = new BuiltinProvider(database, config.builtin);
  const providers = new Map<string, IntelligenceProvider>([[BUILTIN, builtin]]);
  for (const settings of config.providers) providers.set(settings.id, PROVIDER_KINDS.get(settings.kind)!(settings, { configDir, plugins }));
  return { config, builtin, providers };
}

interface Parts {
  readonly database: Database;
  readonly caseTypes: CaseTypeRegistry;
  readonly intelligence: Intelligence;
  readonly jobs: JobQueue;
  readonly say: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Runs the triage worker (suggestions after the case commits, a few at once) and retrains the
 * built-in model every `retrainEveryMinutes`, in the background (and on demand: POST …/models:train). Returns a stop function.
 */
export async function startIntelligence(parts: Parts): Promise<() => Promise<void>> {
  const { database, caseTypes, intelligence, jobs, say } = parts;
  await jobs.work(TRIAGE_QUEUE, async (job) => void (await suggestTriage(database, caseTypes, intelligence, job.data as TriageJob)), { batchSize: 4, pollingIntervalSeconds: 0.5 });
  let running: Promise<unknown> = Promise.resolve();
  const retrain = () => {
    running = intelligence.builtin
      .train()
      .then((outcome) => outcome.trained && say('info', `intelligence: built-in model v${outcome.version} trained on ${outcome.examples} confirmed cases in ${outcome.millis} ms`))
      .catch((error: unknown) => say('warn', `intelligence: training failed: ${describeError(error)}`));
  };
  const minutes = intelligence.config.builtin.retrainEveryMinutes;
  // A model trained before (by another process, or before a restart) serves at once; training waits for the interval.
  await intelligence.builtin.refresh().catch((error: unknown) => say('warn', `intelligence: no model loaded: ${describeError(error)}`));
  const timer = minutes > 0 ? setInterval(retrain, minutes * 60_000) : undefined;
  timer?.unref();
  return async () => {
    if (timer) clearInterval(timer);
    await running;
  };
}
