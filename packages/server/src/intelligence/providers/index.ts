import { StartupError } from '../../startup-error.js';
import { PROVIDER_KINDS } from '../provider-kinds.js';
import { OpenAiProvider } from './openai-provider.js';
import { PluginProvider } from './plugin-provider.js';
import { openAiOptionsOf, pluginOptionsOf } from './provider-settings.js';

export { IntelligenceProviderError, type ProviderFailure } from './provider-error.js';
export { OpenAiProvider } from './openai-provider.js';
export { PluginProvider } from './plugin-provider.js';

// The provider kinds intelligence.yaml may name besides the built-in model. Importing this module registers them.

PROVIDER_KINDS.set('openai', (provider, { configDir }) => new OpenAiProvider(openAiOptionsOf(provider, configDir)));

PROVIDER_KINDS.set('plugin', (provider, { plugins }) => {
  const { plugin, timeoutMs } = pluginOptionsOf(provider);
  const where = `intelligence.yaml: provider '${provider.id}'`;
  if (!plugins?.ids().includes(plugin)) throw new StartupError(`${where}: plugin '${plugin}' is not configured in plugins.yaml`);
  if (!plugins.classifies(plugin)) throw new StartupError(`${where}: plugin '${plugin}' does not offer the classify capability`);
  return new PluginProvider(provider.id, plugins, plugin, timeoutMs);
});
