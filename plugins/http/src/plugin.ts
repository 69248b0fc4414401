import { readFileSync } from 'node:fs';
import { action, definePlugin, type Manifest, type Plugin } from '@latch/plugin-sdk';
import { parseHttpSettings } from './config.js';
import { executeRequest, type RequestOptions } from './request.js';

/** The manifest, read from latch-plugin.json next to src/ and dist/ so the two never differ. */
export const manifest = JSON.parse(readFileSync(new URL('../latch-plugin.json', import.meta.url), 'utf8')) as Manifest;

/** Options for tests: a resolver, a shorter timeout. */
export type HttpPluginOptions = Pick<RequestOptions, 'resolveAll' | 'timeoutMs'>;

/** The HTTP plugin: `request` to the configured internal API, offered on every case. */
export function createHttpPlugin(options: HttpPluginOptions = {}): Plugin {
  return definePlugin({
    manifest,
    // Throws InvalidError (naming the problem, never the secret): the host marks the plugin failed.
    configure: (config, secrets) => void parseHttpSettings(config, secrets),
    listActions: (_case) => [{ name: 'request', title: 'Call the internal API' }],
    actions: {
      request: action({
        async execute(ctx) {
          const settings = parseHttpSettings(ctx.config, ctx.secrets);
          const result = await executeRequest(settings, ctx.input, { ...options, idempotencyKey: ctx.idempotencyKey });
          if (result.status === 'failed') ctx.log(`failed (${result.retryable ? 'retryable' : 'permanent'}): ${result.summary}`);
          return result;
        },
      }),
    },
  });
}
