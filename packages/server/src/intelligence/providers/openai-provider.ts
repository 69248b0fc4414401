import OpenAI from 'openai';
import type { IntelligenceProvider, ClassifyRequest, Suggestion } from '../provider.js';
import { suggestionOf } from './answer-schema.js';
import { chatRequest, type AnswerFormat } from './chat-prompt.js';
import { IntelligenceProviderError, untilAborted } from './provider-error.js';

/** Enough for a subject and a long email; small local models have small contexts. */
const DEFAULT_MAX_TEXT = 20_000;

/** One OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp's server, a hosted one). */
export interface OpenAiProviderOptions {
  /** Provider id on the record, e.g. `openai:ollama`. */
  readonly id: string;
  /** The API base, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is appended. */
  readonly baseURL: string;
  readonly model: string;
  /** The key, already resolved from its secret source; absent for a server that needs none. */
  readonly apiKey?: string | undefined;
  /** The endpoint's own deadline per attempt (default 30 s); the caller's signal usually fires first. */
  readonly timeoutMs?: number | undefined;
  /** The longest case text sent, in characters (default 20 000): the rest is left out, the same way every time. */
  readonly maxTextChars?: number | undefined;
  /** Retries of a 429, 5xx or lost connection, each only while the caller's signal has not fired (default 1). */
  readonly maxRetries?: number | undefined;
  readonly temperature?: number | undefined;
}

/**
 * Asks a chat-completions endpoint for a triage suggestion as JSON against a schema built from the
 * offered case types (`response_format: json_schema`; a server that refuses that is asked again in
 * `json_object` mode, and remembered). Every failure rejects with an IntelligenceProviderError.
 */
export class OpenAiProvider implements IntelligenceProvider {
  readonly id: string;
  readonly #client: OpenAI;
  #format: AnswerFormat = 'json_schema';

  constructor(private readonly options: OpenAiProviderOptions) {
    this.id = options.id;
    this.#client = new OpenAI({
      baseURL: options.baseURL,
      // The client insists on a key; a local server without one ignores the header.
      apiKey: options.apiKey ?? 'none',
      // Explicit, so nothing is read from OPENAI_* environment variables.
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 1,
      // Failures reach the caller as typed errors; the client's own console logging (OPENAI_LOG=debug prints requests) stays off.
      logLevel: 'off',
    });
  }

  async suggest(request: ClassifyRequest, signal: AbortSignal): Promise<Suggestion> {
    const format = this.#format;
    try {
      return await this.#ask(request, format, signal);
    } catch (error) {
      if (format !== 'json_schema' || !refusedFormat(error) || signal.aborted) throw providerError(error, signal);
      // Older llama.cpp and vLLM builds refuse json_schema; plain JSON mode with the schema in the prompt still works.
      const answer = await this.#ask(request, 'json_object', signal).catch((second: unknown) => Promise.reject(providerError(second, signal)));
      this.#format = 'json_object';
      return answer;
    }
  }

  async #ask(request: ClassifyRequest, format: AnswerFormat, signal: AbortSignal): Promise<Suggestion> {
    const text = request.text.slice(0, this.options.maxTextChars ?? DEFAULT_MAX_TEXT);
    const body = chatRequest({ ...request, text }, this.options.model, format, this.options.temperature ?? 0);
    const call = this.#client.chat.completions.create({ ...body, stream: false }, { signal });
    // The client sleeps between retries without watching the signal; it sends nothing after it fires, and we don't wait for it.
    const completion = await untilAborted(call, signal, `${this.id}`);
    const choice = completion.choices?.[0];
    if (!choice) throw new IntelligenceProviderError('INTELLIGENCE_INVALID_OUTPUT', 'the answer holds no choice');
    if (choice.finish_reason === 'length') throw new IntelligenceProviderError('INTELLIGENCE_INVALID_OUTPUT', 'the answer was cut off (length)');
    if (choice.message?.refusal) throw new IntelligenceProviderError('INTELLIGENCE_INVALID_OUTPUT', 'the model refused to answer');
    const served = typeof completion.model === 'string' && completion.model !== '' ? completion.model : this.options.model;
    const version = completion.system_fingerprint ? `${served}@${completion.system_fingerprint}` : served;
    return suggestionOf(choice.message?.content, request, { id: this.options.model.slice(0, 100), version: version.slice(0, 100) });
  }
}

/** A 400/422 (or 501) to a json_schema request: the server may not know that response format. */
function refusedFormat(error: unknown): boolean {
  return error instanceof OpenAI.APIError && error.status !== undefined && [400, 422, 501].includes(error.status);
}

/** The typed error for whatever went wrong; only the status and kind are kept, never the body (it may echo the prompt). */
function providerError(error: unknown, signal: AbortSignal): IntelligenceProviderError {
  if (error instanceof IntelligenceProviderError) return error;
  if (signal.aborted || error instanceof OpenAI.APIUserAbortError) return new IntelligenceProviderError('INTELLIGENCE_TIMEOUT', 'no answer before the deadline');
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new IntelligenceProviderError('INTELLIGENCE_TIMEOUT', "no answer within the endpoint's timeout");
  if (error instanceof OpenAI.APIConnectionError) return new IntelligenceProviderError('INTELLIGENCE_UNAVAILABLE', 'could not reach the endpoint');
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const why = error.status === 429 ? 'rate limited' : error.status === 401 || error.status === 403 ? 'refused the key' : error.status >= 500 ? 'failed' : 'refused the request';
    return new IntelligenceProviderError('INTELLIGENCE_UNAVAILABLE', `the endpoint ${why} (HTTP ${error.status})`, error.status);
  }
  if (error instanceof OpenAI.OpenAIError || error instanceof SyntaxError) return new IntelligenceProviderError('INTELLIGENCE_INVALID_OUTPUT', 'the answer is not a chat completion');
  return new IntelligenceProviderError('INTELLIGENCE_UNAVAILABLE', `the call failed: ${error instanceof Error ? error.name : 'unknown error'}`);
}
