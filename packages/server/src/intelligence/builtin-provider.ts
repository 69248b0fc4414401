import { sharedByTurn } from '../batch-by-turn.js';
import type { Database } from '../db/database.js';
import type { BuiltinModel, Target } from './builtin-model.js';
import { BUILTIN } from './intelligence-config.js';
import type { ClassifyRequest, IntelligenceProvider, Suggestion } from './provider.js';
import { loadLatestModel, trainBuiltin, type TrainingOutcome } from './train-builtin.js';

export const BUILTIN_MODEL_ID = 'latch-builtin';

/**
 * The built-in provider: classifiers trained here on confirmed cases (train-builtin.ts), read from
 * the newest stored version. Each label is suggested only at or above the threshold; below it, or
 * before any model was trained, it suggests nothing.
 */
export class BuiltinProvider implements IntelligenceProvider {
  readonly id = BUILTIN;
  private model: BuiltinModel | undefined;

  constructor(
    private readonly database: Database,
    private readonly settings: { readonly threshold: number; readonly minExamples: number },
  ) {}

  /** Loads the newest stored version when it is not the one held (another process may have trained it). */
  async refresh(): Promise<void> {
    const latest = await loadLatestModel(this.database.db, this.model?.version);
    if (latest !== 'unchanged') this.model = latest;
  }

  /** refresh() for the suggestions asked at once: one look at the stored versions for all of them. */
  private readonly refreshForSuggestions = sharedByTurn(() => this.refresh());

  /** Trains on the confirmed cases now, then holds the result. */
  async train(): Promise<TrainingOutcome> {
    const outcome = await trainBuiltin(this.database, this.settings.minExamples);
    await this.refresh();
    return outcome;
  }

  get version(): number | undefined {
    return this.model?.version;
  }

  async suggest(request: ClassifyRequest): Promise<Suggestion> {
    await this.refreshForSuggestions();
    const model = this.model;
    const version = model ? `v${model.version}` : 'untrained';
    const answer: Suggestion = { confidence: 0, explanation: [], model: { id: BUILTIN_MODEL_ID, version } };
    const typeClassifier = model?.classifiers.get('caseType');
    if (!model || !typeClassifier) return answer;
    const offered = new Set(request.caseTypes.map((c) => c.key));
    const typed = typeClassifier.predict(request.text);
    const caseType = typed.ranked[0]?.label;
    if (caseType === undefined || typed.confidence < this.settings.threshold || !offered.has(caseType)) return { ...answer, confidence: typed.confidence };
    const choice = request.caseTypes.find((c) => c.key === caseType)!;
    const label = (target: Target, allowed: readonly string[] | undefined) => {
      const predicted = model.classifiers.get(target)?.predict(request.text);
      const best = predicted?.ranked[0];
      return best && best.confidence >= this.settings.threshold && (allowed ?? []).includes(best.label) ? best.label : undefined;
    };
    const queue = label('queue', choice.queues);
    const priority = label('priority', choice.priorities);
    const intent = label(`intent:${caseType}`, choice.intents);
    return {
      caseType,
      ...(queue ? { queue } : {}),
      ...(priority ? { priority } : {}),
      ...(intent ? { intent } : {}),
      confidence: typed.confidence,
      explanation: typed.explanation.map((e) => ({ feature: e.feature, weight: e.weight })),
      model: answer.model,
    };
  }
}
