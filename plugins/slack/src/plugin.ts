import { readFileSync } from 'node:fs';
import { action, definePlugin, type Manifest, type Plugin } from '@latch/plugin-sdk';
import type { FetchFunction } from '@slack/web-api';
import { parseSlackSettings } from './config.js';
import { executePostMessage } from './post-message.js';

/** The manifest, read from latch-plugin.json next to src/ and dist/ so the two never differ. */
export const manifest = JSON.parse(readFileSync(new URL('../latch-plugin.json', import.meta.url), 'utf8')) as Manifest;

/** Options for tests: a fetch to reach Slack with. */
export interface SlackPluginOptions {
  readonly fetch?: FetchFunction;
}

/** The Slack plugin: `post_message`, offered on every case. */
export function createSlackPlugin(options: SlackPluginOptions = {}): Plugin {
  return definePlugin({
    manifest,
    // Throws InvalidError (naming the problem, never the token): the host marks the plugin failed.
    configure: (config, secrets) => void parseSlackSettings(config, secrets),
    listActions: (_case) => [{ name: 'post_message', title: 'Post a Slack message' }],
    actions: {
      post_message: action({
        async execute(ctx) {
          const settings = parseSlackSettings(ctx.config, ctx.secrets);
          if (ctx.attempt > 1) ctx.log(`post_message ${ctx.requestId}: attempt ${ctx.attempt}; Slack has no idempotency key, a retry may post twice`);
          const result = await executePostMessage(settings, ctx.input, { idempotencyKey: ctx.idempotencyKey, ...(options.fetch ? { fetch: options.fetch } : {}) });
          if (result.status === 'failed') ctx.log(`failed (${result.retryable ? 'retryable' : 'permanent'}): ${result.summary}`);
          return result;
        },
      }),
    },
  });
}
