import { and, asc, count, eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { actionRequests } from '../db/schema.js';
import { proposalRefusal, type PluginDirectory } from './plugin-availability.js';

/** Approved actions not yet finished: those a missing plugin leaves stuck. */
const APPROVED_UNFINISHED = ['approved', 'queued', 'running'];
/** Ids named in the startup line; the count says how many more there are. */
const IDS_SHOWN = 10;

export interface WaitingForPlugins {
  readonly count: number;
  /** `plugin.action` → how many actions wait for it. */
  readonly byAction: ReadonlyMap<string, number>;
  /** The oldest waiting actions' ids, at most IDS_SHOWN. */
  readonly firstIds: readonly string[];
}

/** The approved actions that no configured plugin can run (none at all when `plugins` is undefined). */
export async function actionsWaitingForPlugins(db: Queryable, plugins: PluginDirectory | undefined): Promise<WaitingForPlugins> {
  const groups = await db
    .select({ plugin: actionRequests.plugin, action: actionRequests.action, n: count() })
    .from(actionRequests)
    .where(inArray(actionRequests.status, APPROVED_UNFINISHED))
    .groupBy(actionRequests.plugin, actionRequests.action);
  const missing = groups.filter((g) => proposalRefusal(plugins ?? NONE, g.plugin, g.action) !== undefined);
  const byAction = new Map(missing.map((g) => [`${g.plugin}.${g.action}`, Number(g.n)]));
  const firstIds: string[] = [];
  for (const g of missing) {
    const rows = await db
      .select({ id: actionRequests.id })
      .from(actionRequests)
      .where(and(inArray(actionRequests.status, APPROVED_UNFINISHED), eq(actionRequests.plugin, g.plugin), eq(actionRequests.action, g.action)))
      .orderBy(asc(actionRequests.id))
      .limit(IDS_SHOWN);
    firstIds.push(...rows.map((r) => r.id));
  }
  firstIds.sort();
  return { count: [...byAction.values()].reduce((a, b) => a + b, 0), byAction, firstIds: firstIds.slice(0, IDS_SHOWN) };
}

/** The one startup line about them, or undefined when none wait. */
export function describeWaiting(waiting: WaitingForPlugins): string | undefined {
  if (waiting.count === 0) return undefined;
  const what = [...waiting.byAction].map(([name, n]) => `${name} (${n})`).join(', ');
  const more = waiting.count > waiting.firstIds.length ? `, and ${waiting.count - waiting.firstIds.length} more` : '';
  return `${waiting.count} approved action(s) wait for a plugin this server does not run: ${what}; ids ${waiting.firstIds.join(', ')}${more}. Configure the plugin in plugins.yaml and restart.`;
}

const NONE: PluginDirectory = { manifest: () => undefined, health: () => undefined };
