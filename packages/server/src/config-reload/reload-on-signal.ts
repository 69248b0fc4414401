import { LatchError } from '@latch/core';
import type { LatchContext } from '../context.js';
import { formatProblem, type ConfigProblem } from '../config-check/problem.js';
import { loggableError } from '../loggable-error.js';
import { reloadConfig } from './reload-config.js';

type Say = (level: 'info' | 'warn' | 'error', message: string) => void;

/** `kill -HUP`: reloads the configuration and says the outcome in the server's log (each problem on its own line). */
export async function reloadOnSignal(ctx: LatchContext, say: Say): Promise<void> {
  try {
    await reloadConfig(ctx, { type: 'system', id: 'sighup' }, say);
  } catch (error) {
    if (error instanceof LatchError && error.code === 'CONFIG_INVALID') {
      say('error', `config: reload refused, the running configuration stays in force: ${error.message}`);
      for (const problem of (error.details as { problems: ConfigProblem[] }).problems) say(problem.severity === 'error' ? 'error' : 'warn', `config: ${formatProblem(problem).replace('\n', ' ')}`);
      return;
    }
    say('error', `config: reload failed, the running configuration stays in force: ${JSON.stringify(loggableError(error))}`);
  }
}
