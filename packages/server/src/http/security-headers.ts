import type { FastifyInstance } from 'fastify';
import type { LatchConfig } from '../config.js';

/** One year: what browsers' preload lists ask for. */
const HSTS_MAX_AGE = 365 * 24 * 60 * 60;

/**
 * Headers every response carries, set once here rather than per route: no MIME sniffing, no
 * Referer leaving with ids in it, never framed (clickjacking), HTTPS remembered when the deployment
 * declares it (LATCH_PUBLIC_URL=https://…), and API responses never cached, since logins, new tokens
 * and case data carry secrets or personal data. A route may still set its own Content-Security-Policy
 * (attachments add a sandbox), which keeps frame-ancestors.
 */
export function installSecurityHeaders(app: FastifyInstance, config: Pick<LatchConfig, 'publicUrl'>): void {
  const tls = config.publicUrl?.startsWith('https://') === true;
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    const csp = reply.getHeader('content-security-policy');
    if (csp === undefined) void reply.header('content-security-policy', "frame-ancestors 'none'");
    else if (!String(csp).includes('frame-ancestors')) void reply.header('content-security-policy', `${String(csp)}; frame-ancestors 'none'`);
    if (tls) void reply.header('strict-transport-security', `max-age=${HSTS_MAX_AGE}; includeSubDomains`);
    if (request.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
    return payload;
  });
}
