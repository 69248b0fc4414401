import { readFileSync } from 'node:fs';
import { action, definePlugin, type ActionReturn, type Manifest, type ReconcileReturn } from '@latch/plugin-sdk';

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

// What this process has executed, by request id, so `reconcile` can answer: an example only. A real
// plugin asks the external system (by request id or idempotency key), which survives restarts.
const done = new Map<string, ActionReturn>();
const remember = (requestId: string, result: ActionReturn): ActionReturn => {
  if (done.size >= 10_000) done.delete(done.keys().next().value!);
  done.set(requestId, result);
  return result;
};
const reconcile = ({ requestId }: { requestId: string }): ReconcileReturn => {
  const result = done.get(requestId);
  return result ? { found: true, result } : { found: false };
};

/** The echo plugin: `echo` returns its input, `noop` does nothing; its context describes the case it was asked about. */
export const plugin = definePlugin({
  manifest,
  configure(config) {
    if (config.greeting !== undefined && typeof config.greeting !== 'string') throw new Error('greeting must be a string');
  },
  context: {
    caseTypes: ['*'],
    fetch: ({ caseId, caseType, fields, config }) => ({
      facts: [
        { label: 'Case', value: caseId, kind: 'id' },
        { label: 'Case type', value: caseType },
        { label: 'Fields shared', value: String(Object.keys(fields).length) },
      ],
      summary: `${typeof config.greeting === 'string' ? config.greeting : 'Echo'}: a ${caseType} case`,
    }),
  },
  actions: {
    echo: action({
      inputSchema: echoInput,
      execute({ input, config, requestId }) {
        const greeting = typeof config.greeting === 'string' ? config.greeting : 'Echo';
        return remember(requestId, { summary: `${greeting}: ${input.message}`, output: { message: input.message } });
      },
      reconcile,
    }),
    noop: action<Record<string, never>>({
      execute: ({ requestId }) => remember(requestId, { summary: 'Did nothing' }),
      reconcile,
    }),
  },
});
