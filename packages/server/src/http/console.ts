import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Where `npm run build` puts the console (packages/web/dist), from src/http or dist/http alike. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * The console's pages may run only the scripts and styles it ships: nothing inline, nothing from
 * elsewhere, so a payload in case data that slipped past React's escaping still could not run.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Hashed file names never change content: browsers may keep them for a year. */
const IMMUTABLE = { maxAge: '365d', immutable: true } as const;

/**
 * The web console, public like any page: hashed assets with a long cache, other files at the root
 * of the build as they are, and index.html (never cached, so a deploy is picked up) for every other
 * path a client route may use. Paths under /api/ stay the API's: an unknown one is its JSON 404.
 */
export const consoleRoutes = (dir: string = CONSOLE_DIR): FastifyPluginAsync => async (app) => {
  // serve: false: the routes are declared here, public, rather than by the plugin (which can't mark them).
  await app.register(fastifyStatic, { root: dir, serve: false, index: false, dotfiles: 'deny' });

  const page = (reply: FastifyReply) => {
    if (!existsSync(join(dir, 'index.html'))) {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'The web console is not built: run `npm run build`' } });
    }
    return reply.header('cache-control', 'no-store').sendFile('index.html', { cacheControl: false });
  };

  app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    void reply.header('content-security-policy', CONSOLE_CSP);
    return page(reply);
  });

  app.get<{ Params: { '*': string } }>('/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const path = request.params['*'];
    if (path === 'api' || path.startsWith('api/') || path.split('/').some((part) => part.startsWith('.'))) return reply.callNotFound();
    void reply.header('content-security-policy', CONSOLE_CSP);
    if (path.startsWith('assets/')) return reply.sendFile(path, IMMUTABLE);
    if (extname(path) !== '' && existsSync(join(dir, path))) return reply.sendFile(path, { maxAge: 0 });
    return page(reply);
  });
};
