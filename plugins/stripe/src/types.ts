// The action.execute result, typed more precisely than @latch/protocol's ExecuteResult (which it satisfies).

/** What was sent to and received from Stripe, with credentials removed (never the Authorization header). */
export type ExternalExchange = {
  request: { method: string; url: string; headers?: Record<string, string>; body: string };
  response?: { status: number; headers?: Record<string, string>; body: string };
};

/** The result of `action.execute` (and of `action.reconcile` when it finds a refund). */
export type ExecuteResult =
  | { status: 'succeeded' | 'pending'; summary: string; output: Record<string, unknown>; external?: ExternalExchange }
  | { status: 'failed'; retryable: boolean; effect: 'none' | 'unknown'; summary: string; output?: Record<string, unknown>; external?: ExternalExchange };
