import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { errors } from '../schemas.js';

const text = { type: 'string' } as const;
const plugin = {
  type: 'object',
  properties: {
    id: text,
    name: text,
    description: text,
    version: text,
    protocolVersion: text,
    caseTypes: { type: 'array', items: text },
    caseFields: { type: 'array', items: text },
    // Names only: configured values and secrets never leave the host.
    config: { type: 'array', items: { type: 'object', properties: { name: text, description: text, secret: { type: 'boolean' }, required: { type: 'boolean' } } } },
    actions: { type: 'array', items: { type: 'object', properties: { name: text, title: text, description: text } } },
    state: { type: 'string', enum: ['starting', 'ready', 'down', 'failed'] },
    restarts: { type: 'integer' },
    lastError: { type: ['string', 'null'] },
  },
} as const;

/**
 * The deployment's plugins and their health (DESIGN §5): manifest, version, state, last error.
 * Readable by whoever may read case types, since the actions those types allow run on plugins.
 * The response schema lists exactly what is sent, so configured values cannot slip out.
 */
export const pluginRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/api/v1/plugins',
    {
      config: { permission: 'case_type:read' },
      schema: {
        tags: ['plugins'],
        summary: 'Configured plugins: manifest, version, state, restarts and last error (no configuration values, no secrets)',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: plugin } } }, ...errors(401, 403) },
      },
    },
    async () => ({
      items: (ctx.plugins?.list() ?? []).map((entry) => {
        const manifest = ctx.plugins!.manifest(entry.id)!;
        return {
          id: manifest.id,
          name: manifest.name,
          ...(manifest.description !== undefined ? { description: manifest.description } : {}),
          version: manifest.version,
          protocolVersion: manifest.protocolVersion,
          caseTypes: manifest.caseTypes,
          caseFields: manifest.caseFields,
          config: manifest.config.map((c) => ({ name: c.name, description: c.description, secret: c.secret, required: c.required })),
          actions: manifest.actions.map((a) => ({ name: a.name, title: a.title, ...(a.description !== undefined ? { description: a.description } : {}) })),
          state: entry.state,
          restarts: entry.restarts,
          lastError: entry.lastError ?? null,
        };
      }),
    }),
  );
};
