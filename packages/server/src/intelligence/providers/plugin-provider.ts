import { CLASSIFY_LIMITS, choiceProblems, schemas, type ClassifyParams, type ClassifyResult } from '@latch/protocol';
import { compileOnFirstUse } from '../../http/ajv.js';
import type { ClassifyRequest, IntelligenceProvider, Suggestion } from '../provider.js';
import { IntelligenceProviderError, untilAborted } from './provider-error.js';

/** What the provider needs of the plugin host (PluginHost implements it). */
export interface PluginClassifier {
  classifies(pluginId: string): boolean;
  classify(pluginId: string, params: ClassifyParams, timeoutMs: number): Promise<unknown>;
  seesCaseType(pluginId: string, caseType: string): boolean;
  caseFields(pluginId: string): readonly string[] | undefined;
}

const validateResult = compileOnFirstUse(schemas.classifyResult);

/**
 * A plugin with the `classify` capability as a provider. The plugin is offered only the case types
 * its manifest lets it see and only its manifest's `caseFields` (of those the deployment allows to
 * be sent); its answer is checked against the protocol's schema and the offered choices.
 */
export class PluginProvider implements IntelligenceProvider {
  constructor(
    readonly id: string,
    private readonly host: PluginClassifier,
    private readonly pluginId: string,
    /** The plugin call's own deadline; the caller's signal usually fires first. */
    private readonly timeoutMs = 30_000,
  ) {}

  async suggest(request: ClassifyRequest, signal: AbortSignal): Promise<Suggestion> {
    const { host, pluginId } = this;
    if (!host.classifies(pluginId)) throw new IntelligenceProviderError('INTELLIGENCE_UNAVAILABLE', `plugin ${pluginId} does not offer classify`);
    const caseTypes = request.caseTypes
      .filter((t) => host.seesCaseType(pluginId, t.key))
      .slice(0, CLASSIFY_LIMITS.caseTypes)
      .map((t) => ({ key: t.key, title: t.title, queues: [...t.queues], priorities: [...t.priorities], ...(t.intents ? { intents: [...t.intents] } : {}) }));
    if (caseTypes.length === 0) throw new IntelligenceProviderError('INTELLIGENCE_UNAVAILABLE', `plugin ${pluginId} sees none of the offered case types`);
    const allowed = new Set(host.caseFields(pluginId) ?? []);
    const fields = Object.fromEntries(Object.entries(request.fields).filter(([name]) => allowed.has(name)));
    const params: ClassifyParams = { caseId: request.caseId, text: request.text.slice(0, CLASSIFY_LIMITS.text), fields, caseTypes };

    let answer: unknown;
    try {
      answer = await untilAborted(host.classify(pluginId, params, this.timeoutMs), signal, `plugin ${pluginId}`);
    } catch (error) {
      if (error instanceof IntelligenceProviderError) throw error;
      if ((error as { code?: unknown }).code === 'TIMEOUT') throw new IntelligenceProviderError('INTELLIGENCE_TIMEOUT', `plugin ${pluginId}: no answer within ${this.timeoutMs} ms`);
      const code = (error as { code?: unknown }).code;
      // A JSON-RPC error answer has a numeric code; anything else is the process being down, restarting or stopped.
      throw new IntelligenceProviderError('INTELLIGENCE_UNAVAILABLE', typeof code === 'number' ? `plugin ${pluginId} answered an error (${code})` : `plugin ${pluginId} could not be asked`);
    }
    if (!validateResult(answer)) {
      const problems = (validateResult.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
      throw new IntelligenceProviderError('INTELLIGENCE_INVALID_OUTPUT', `plugin ${pluginId} answered outside the schema: ${problems.join('; ')}`);
    }
    const result = answer as unknown as ClassifyResult;
    const problems = choiceProblems(params, result);
    if (problems.length > 0) throw new IntelligenceProviderError('INTELLIGENCE_INVALID_OUTPUT', `plugin ${pluginId} answered what was not offered: ${problems.join('; ')}`);
    return {
      ...(result.caseType !== undefined ? { caseType: result.caseType } : {}),
      ...(result.queue !== undefined ? { queue: result.queue } : {}),
      ...(result.priority !== undefined ? { priority: result.priority } : {}),
      ...(result.intent !== undefined ? { intent: result.intent } : {}),
      confidence: result.confidence,
      explanation: result.explanation.map((e) => ({ feature: e.feature, weight: e.weight })),
      model: { id: result.model.id, version: result.model.version },
    };
  }
}
