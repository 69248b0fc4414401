import { readFileSync } from 'node:fs';
import { action, definePlugin, type Manifest } from '@latch/plugin-sdk';

// The manifest file is the source of truth (the host reads it too); read it next to dist/.
const manifest = JSON.parse(readFileSync(new URL('../latch-plugin.json', import.meta.url), 'utf8')) as Manifest;

// The echo input schema again, `as const` so the input type is inferred from it; definePlugin
// refuses to start if it ever drifts from latch-plugin.json.
const echoInput = {
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { message: { type: 'string', minLength: 1, maxLength: 10000 } },
} as const;

/** The echo plugin: `echo` returns its input, `noop` does nothing. */
export const plugin = definePlugin({
  manifest,
  configure(config) {
    if (config.greeting !== undefined && typeof config.greeting !== 'string') throw new Error('greeting must be a string');
  },
  actions: {
    echo: action({
      inputSchema: echoInput,
      execute({ input, config }) {
        const greeting = typeof config.greeting === 'string' ? config.greeting : 'Echo';
        return { summary: `${greeting}: ${input.message}`, output: { message: input.message } };
      },
    }),
    noop: action<Record<string, never>>({
      execute: () => ({ summary: 'Did nothing' }),
    }),
  },
});
