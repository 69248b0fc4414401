import type { ExternalExchange } from '@latch/protocol';

/** Options of an `ActionFailure`. */
export interface ActionFailureOptions {
  /** true: the host retries with backoff (timeouts, 429, 5xx); false: the action ends as failed (card error, validation). */
  retryable: boolean;
  /** Whether the external system may have acted: `none` (it refused) or `unknown` (no answer). Default: unknown when retryable. */
  effect?: 'none' | 'unknown';
  output?: unknown;
  external?: ExternalExchange;
  cause?: unknown;
}

/**
 * Thrown by an action to fail with a chosen retryability. Any other error thrown by `execute`
 * is a retryable failure, since an unexpected error is usually transient and the idempotency
 * key makes a retry safe.
 */
export class ActionFailure extends Error {
  readonly retryable: boolean;
  readonly effect: 'none' | 'unknown' | undefined;
  readonly output: unknown;
  readonly external: ExternalExchange | undefined;

  constructor(summary: string, options: ActionFailureOptions) {
    super(summary, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ActionFailure';
    this.retryable = options.retryable;
    this.effect = options.effect;
    this.output = options.output;
    this.external = options.external;
  }
}

/** Thrown by a plugin's `webhook` when a delivery fails verification: the host answers 400 and does nothing. */
export class WebhookRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookRefused';
  }
}
