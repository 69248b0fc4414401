import type { PluginHost } from '../plugin-host/plugin-host.js';
import type { ProviderSettings } from './intelligence-config.js';
import type { IntelligenceProvider } from './provider.js';

/** What a provider kind may use to build itself: where configuration lives (secrets from files) and the plugins. */
export interface ProviderDeps {
  readonly configDir: string;
  readonly plugins: PluginHost | undefined;
}

/** Builds one configured provider (intelligence.yaml `providers.<id>`); throws a StartupError on bad settings. */
export type ProviderFactory = (provider: ProviderSettings, deps: ProviderDeps) => IntelligenceProvider;

/**
 * The provider kinds this build knows besides the built-in model, by the `kind` intelligence.yaml
 * names (`openai`, `plugin`): providers/ registers its factories here.
 */
export const PROVIDER_KINDS = new Map<string, ProviderFactory>();
