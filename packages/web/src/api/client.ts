import createClient, { type Middleware } from 'openapi-fetch';
import type { ErrorCode } from './error-messages';
import type { paths } from './schema';

/** An answer from the API that was not a success, with its stable code (or NETWORK when none came). */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK' | 'UNEXPECTED',
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The CSRF token of this session, from login or GET /me: cookie-authenticated writes must send it. */
let csrfToken: string | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

/** The one typed client: every path, parameter and body is checked against the server's OpenAPI document. */
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(csrf);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError carrying the API's code. */
export async function call<T>(request: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch {
    throw new ApiError('NETWORK', 'The server could not be reached', 0);
  }
  if (answer.response.ok) return answer.data as T;
  const body = (answer.error ?? {}) as { error?: { code?: string; message?: string; details?: unknown } };
  const code = (body.error?.code ?? 'UNEXPECTED') as ApiError['code'];
  throw new ApiError(code, body.error?.message ?? `HTTP ${answer.response.status}`, answer.response.status, body.error?.details);
}
