// The action.execute result, typed more precisely than @latch/protocol's ExecuteResult (which it satisfies).

/** What was sent to and received from Stripe, with credentials removed. */
export type ExternalExchange = {
  request: { method: string; url: string; headers?: Record<string, string>; body: string };
  response?: { status: number; body: string };
};

/** The result of `action.execute`. */
export type ExecuteResult =
  | { status: 'succeeded'; summary: string; output: Record<string, unknown>; external?: ExternalExchange }
  | { status: 'failed'; retryable: boolean; summary: string; external?: ExternalExchange };
