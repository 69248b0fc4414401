import { desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Queryable } from '../db/database.js';
import { cases, caseTriage, intelligenceModels } from '../db/schema.js';
import type { SerializedClassifier } from './classifier/types.js';
import { loadTargets, serialiseTargets, trainingSetSha256, trainTargets, type BuiltinModel, type ConfirmedCase } from './builtin-model.js';
import { DECIDED_STATES, type TriageDecision } from './triage-state.js';

/** What a training run did: a new version, or nothing because the set is unchanged or too small. */
export type TrainingOutcome =
  | { readonly trained: true; readonly version: number; readonly examples: number; readonly trainingSetSha256: string; readonly targets: string[]; readonly millis: number }
  | { readonly trained: false; readonly reason: 'unchanged' | 'too_few_examples'; readonly version: number | null; readonly examples: number; readonly trainingSetSha256: string };

// Serialises training runs across processes; the number is arbitrary but fixed.
const TRAINING_LOCK = 0x1a7c_0012;

/** The cases people confirmed (accepted, overridden, or opened with a type they chose), with their text. */
export async function confirmedCases(db: Queryable): Promise<ConfirmedCase[]> {
  const rows = await db
    .select({ caseId: cases.id, title: cases.title, description: cases.description, decision: caseTriage.decision })
    .from(caseTriage)
    .innerJoin(cases, eq(cases.id, caseTriage.caseId))
    .where(inArray(caseTriage.state, [...DECIDED_STATES]))
    .orderBy(cases.id);
  return rows.flatMap((row) => {
    const decision = row.decision as TriageDecision | null;
    if (!decision) return [];
    return [{ caseId: row.caseId, text: textOf(row), caseType: decision.caseType, queue: decision.queue, priority: decision.priority, ...(decision.intent ? { intent: decision.intent } : {}) }];
  });
}

/** The text the built-in model reads: title and description. */
export function textOf(row: { readonly title: string; readonly description: string }): string {
  return `${row.title}\n${row.description}`;
}

/**
 * Trains the built-in model on every confirmed case and stores it as the next version, with its
 * training-set hash; an unchanged training set (same hash as the newest version) trains nothing.
 */
export async function trainBuiltin(database: Database, minExamples: number): Promise<TrainingOutcome> {
  const examples = await confirmedCases(database.db);
  const sha = trainingSetSha256(examples);
  const [latest] = await database.db.select({ version: intelligenceModels.version, sha: intelligenceModels.trainingSetSha256 }).from(intelligenceModels).orderBy(desc(intelligenceModels.version)).limit(1);
  if (examples.length < minExamples) return { trained: false, reason: 'too_few_examples', version: latest?.version ?? null, examples: examples.length, trainingSetSha256: sha };
  if (latest?.sha === sha) return { trained: false, reason: 'unchanged', version: latest.version, examples: examples.length, trainingSetSha256: sha };
  const started = performance.now();
  const classifiers = trainTargets(examples);
  const millis = Math.round(performance.now() - started);
  if (!classifiers.has('caseType')) return { trained: false, reason: 'too_few_examples', version: latest?.version ?? null, examples: examples.length, trainingSetSha256: sha };
  const model = serialiseTargets(classifiers);
  const version = await database.write(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${TRAINING_LOCK})`);
    const [newest] = await tx.select({ version: intelligenceModels.version, sha: intelligenceModels.trainingSetSha256 }).from(intelligenceModels).orderBy(desc(intelligenceModels.version)).limit(1);
    // Another process trained the same set meanwhile: its version stands.
    if (newest?.sha === sha) return newest.version;
    const next = (newest?.version ?? 0) + 1;
    await tx.insert(intelligenceModels).values({ version: next, trainingSetSha256: sha, examples: examples.length, model });
    return next;
  });
  return { trained: true, version, examples: examples.length, trainingSetSha256: sha, targets: [...classifiers.keys()], millis };
}

/** The newest stored model, loaded; undefined before the first training. */
export async function loadLatestModel(db: Queryable, knownVersion?: number): Promise<BuiltinModel | 'unchanged' | undefined> {
  const [head] = await db.select({ version: intelligenceModels.version }).from(intelligenceModels).orderBy(desc(intelligenceModels.version)).limit(1);
  if (!head) return undefined;
  if (head.version === knownVersion) return 'unchanged';
  const [row] = await db.select().from(intelligenceModels).where(eq(intelligenceModels.version, head.version));
  if (!row) return undefined;
  return { version: row.version, trainingSetSha256: row.trainingSetSha256, classifiers: loadTargets(row.model as Record<string, SerializedClassifier>) };
}

/** The stored versions, newest first, without their weights. */
export async function listModels(db: Queryable): Promise<{ version: number; trainingSetSha256: string; examples: number; trainedAt: Date; targets: string[] }[]> {
  return db
    .select({
      version: intelligenceModels.version,
      trainingSetSha256: intelligenceModels.trainingSetSha256,
      examples: intelligenceModels.examples,
      trainedAt: intelligenceModels.trainedAt,
      targets: sql<string[]>`array(select jsonb_object_keys(${intelligenceModels.model}))`,
    })
    .from(intelligenceModels)
    .orderBy(desc(intelligenceModels.version))
    .limit(50);
}
