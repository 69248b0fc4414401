import type { PluginBlock } from '../../api/types';

/** What keeps an approved action from running, said plainly on its card: it would otherwise wait in silence. */
export function PluginWaitNotice({ block }: { readonly block: PluginBlock }) {
  return (
    <div className="notice warn plugin-wait" role="status">
      <strong>Waiting for plugin {block.plugin}.</strong> {sentenceFor(block)}
    </div>
  );
}

function sentenceFor(block: PluginBlock): string {
  switch (block.code) {
    case 'PLUGIN_NOT_CONFIGURED':
      return 'It is not configured on this server, so this approved action cannot run. An administrator adds it to plugins.yaml and restarts Latch.';
    case 'PLUGIN_ACTION_UNKNOWN':
      return `It does not offer the action ${block.action}, so this approved action cannot run. An administrator checks the plugin's version.`;
    case 'PLUGIN_UNAVAILABLE':
      return `It is ${block.state ?? 'down'}, so this approved action cannot run until the plugin is back.`;
  }
}
