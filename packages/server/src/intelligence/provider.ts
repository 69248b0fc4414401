/**
 * The seam between Latch and whatever suggests a triage: the built-in classifier, an
 * OpenAI-compatible endpoint, or a plugin with the `classify` capability. A provider only answers;
 * it never writes. What it answers is untrusted text: the host validates it against the case types
 * it was offered and records it as `intelligence.suggested`, and nothing in it can cause an action.
 */

/** What one case type offers a provider to choose from. */
export interface CaseTypeChoice {
  key: string;
  title: string;
  queues: readonly string[];
  priorities: readonly string[];
  /** Intent labels, when the case type declares them. */
  intents?: readonly string[];
}

/** The minimised view of a case that a provider sees (what is sent is configurable per case type). */
export interface ClassifyRequest {
  caseId: string;
  /** Free text (subject and body), or '' when the case type's configuration keeps it back. */
  text: string;
  /** Only the fields the configuration allows to be sent. */
  fields: Readonly<Record<string, unknown>>;
  caseTypes: readonly CaseTypeChoice[];
  /** True when `text` or `fields` carry personal data (noted on the event). */
  personalData: boolean;
}

/** A word or feature and how much it weighed for the chosen answer. */
export interface Evidence {
  feature: string;
  weight: number;
}

/** What a provider suggests. Every part is optional: "no suggestion" is an answer. */
export interface Suggestion {
  caseType?: string;
  queue?: string;
  priority?: string;
  intent?: string;
  /** Calibrated probability in [0, 1] of the suggested case type (or of the whole answer). */
  confidence: number;
  explanation: readonly Evidence[];
  /** Which model answered, e.g. `builtin` / `latch-nb` / `llama3.1:8b`. */
  model: { id: string; version: string };
}

export interface IntelligenceProvider {
  /** Stable name used in configuration and on the record, e.g. `builtin`, `openai:ollama`, `plugin:acme-classify`. */
  readonly id: string;
  /** Rejects on timeout (the signal), transport error or invalid output; the caller falls back and records why. */
  suggest(request: ClassifyRequest, signal: AbortSignal): Promise<Suggestion>;
}
