/** Why a provider gave no usable answer; the caller records the code and falls back to the built-in model. */
export type ProviderFailure = 'INTELLIGENCE_INVALID_OUTPUT' | 'INTELLIGENCE_TIMEOUT' | 'INTELLIGENCE_UNAVAILABLE';

/**
 * A provider's typed refusal: `INTELLIGENCE_TIMEOUT` (the caller's signal fired or the endpoint's own
 * deadline passed), `INTELLIGENCE_UNAVAILABLE` (refused, rate-limited, failing, unreachable), or
 * `INTELLIGENCE_INVALID_OUTPUT` (it answered, but not JSON, not the schema, or not an offered choice).
 * The message names the cause and never holds the answer's text or a secret.
 */
export class IntelligenceProviderError extends Error {
  override readonly name = 'IntelligenceProviderError';

  constructor(
    readonly code: ProviderFailure,
    message: string,
    /** The HTTP status of the endpoint's answer, when there was one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Rejects with INTELLIGENCE_TIMEOUT as soon as `signal` fires, whatever `work` is still doing. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new IntelligenceProviderError('INTELLIGENCE_TIMEOUT', `${what}: no answer before the deadline`));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // Always settled here, so work that fails after the deadline is never an unhandled rejection.
    work.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
