import type { CaseVisibility } from '@latch/core';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { loadVisibleCase } from '../cases/case-access.js';
import { isErasedBlob } from '../db/blobs.js';
import type { Queryable } from '../db/database.js';
import { blobs, events } from '../db/schema.js';
import type { PluginHost } from '../plugin-host/plugin-host.js';

/** One fact as the plugin gave it: text, rendered inert. */
export interface Fact {
  label: string;
  value: string;
  kind?: string;
}

/** The latest answer of one plugin about a case, and where its next one stands. */
export interface PluginContext {
  plugin: string;
  /** `pending`: asked (the case opened, or someone refreshed) and not answered yet; `unavailable`: the plugin failed every try. */
  status: 'pending' | 'attached' | 'unavailable';
  /** When the status was reached (the ask, the answer, the last failure). */
  updatedAt: string;
  /** The latest answer, kept while a newer ask is pending or failed; null before the first. */
  answer: { sha256: string; attachedAt: string; fetchedAt: string; summary: string | null; facts: Fact[]; erased: boolean } | null;
}

const KINDS = ['case.context_requested', 'case.context_attached', 'case.context_unavailable'];
type Data = { plugin?: string; plugins?: string[]; sha256?: string };

/**
 * Per plugin, the latest context of a case the reader may see (404 otherwise), read back from the
 * events and the blobs they name. A plugin the deployment asks but that has not answered yet is
 * `pending`; an answer erased with its subject reads `erased`, facts gone.
 */
export async function readCaseContext(db: Queryable, plugins: PluginHost | undefined, visibility: CaseVisibility, caseId: string): Promise<PluginContext[]> {
  const row = await loadVisibleCase(db, caseId, visibility);
  const rows = await db
    .select({ kind: events.kind, at: events.at, bytes: events.bytes })
    .from(events)
    .where(and(eq(events.stream, caseId), inArray(events.kind, KINDS)))
    .orderBy(asc(events.seq));
  const byPlugin = new Map<string, PluginContext & { sha?: string }>();
  const entry = (plugin: string) => byPlugin.get(plugin) ?? byPlugin.set(plugin, { plugin, status: 'pending', updatedAt: row.createdAt.toISOString(), answer: null }).get(plugin)!;
  for (const plugin of plugins?.contextSources(row.typeKey) ?? []) entry(plugin);
  for (const event of rows) {
    const data = (JSON.parse(event.bytes) as { data?: Data }).data ?? {};
    const at = event.at.toISOString();
    const named = event.kind === 'case.context_requested' ? (data.plugins ?? []) : data.plugin ? [data.plugin] : [];
    for (const plugin of named) {
      const item = entry(plugin);
      item.updatedAt = at;
      item.status = event.kind === 'case.context_requested' ? 'pending' : event.kind === 'case.context_attached' ? 'attached' : 'unavailable';
      if (event.kind === 'case.context_attached' && data.sha256) Object.assign(item, { sha: data.sha256, attachedAt: at });
    }
  }
  const items = [...byPlugin.values()];
  const shas = items.flatMap((i) => (i.sha ? [i.sha] : []));
  const stored = shas.length > 0 ? await db.select().from(blobs).where(inArray(blobs.sha256, shas)) : [];
  return items.map(({ sha, attachedAt, ...item }: PluginContext & { sha?: string; attachedAt?: string }) => {
    const blob = stored.find((b) => b.sha256 === sha);
    if (!sha || !blob || !attachedAt) return item;
    if (isErasedBlob(blob)) return { ...item, answer: { sha256: sha, attachedAt, fetchedAt: '', summary: null, facts: [], erased: true } };
    const answer = JSON.parse(blob.data.toString('utf8')) as { facts: Fact[]; summary?: string; fetchedAt: string };
    return { ...item, answer: { sha256: sha, attachedAt, fetchedAt: answer.fetchedAt, summary: answer.summary ?? null, facts: answer.facts, erased: false } };
  });
}
