// The chaos plugin (test-fixtures/plugins/chaos): bench/load writes `ok`, `crash` or `hang` into the
// file named by the controlFile setting, and each `work` call does what the file says when it runs:
// succeed, kill its own process mid-call (the host must restart it), or never answer (the host's
// timeout must fire). It has no external effect, so a retry can never do harm twice.
import { readFileSync } from 'node:fs';
import { action, definePlugin } from '@latch/plugin-sdk';

const manifest = JSON.parse(readFileSync(new URL('./latch-plugin.json', import.meta.url), 'utf8'));

const mode = (file) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return 'ok';
  }
};

export const plugin = definePlugin({
  manifest,
  configure(config) {
    if (typeof config.controlFile !== 'string') throw new Error('controlFile must be a path');
  },
  actions: {
    work: action({
      execute: ({ config }) => {
        const now = mode(config.controlFile);
        if (now === 'crash') process.exit(70);
        if (now === 'hang') return new Promise(() => undefined);
        return { summary: 'Worked' };
      },
    }),
  },
});

plugin.serve();
