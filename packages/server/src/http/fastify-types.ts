import type { Permission, Principal } from '@latch/core';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no authentication (health, login, the OpenAPI document). */
    public?: boolean;
    /** The permission a principal must hold to call the route at all. */
    permission?: Permission;
    /** The route also accepts the configured scrape token (LATCH_METRICS_TOKEN) as its bearer token: /metrics. */
    scrapeToken?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** How the principal authenticated: cookie-authenticated writes need a CSRF token. */
    authMethod: 'session' | 'token' | null;
    sessionSecret: string | null;
  }
}
