import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import type { LatchContext } from '../../context.js';
import { activeConfig } from '../../config-reload/active-config.js';
import { reloadConfig } from '../../config-reload/reload-config.js';
import { LatchError } from '@latch/core';
import { errors } from '../schemas.js';

const str = { type: 'string' } as const;
const strings = { type: 'array', items: str } as const;
const int = { type: 'integer' } as const;
const grants = { type: 'object', additionalProperties: { type: 'object', additionalProperties: false, required: ['roles', 'teams'], properties: { roles: strings, teams: strings } } } as const;
const policyRef = { type: 'object', additionalProperties: false, required: ['key', 'version', 'sha256'], properties: { key: str, version: int, sha256: str } } as const;

const snapshot = {
  type: 'object',
  additionalProperties: false,
  required: ['caseTypes', 'roles', 'teams', 'intake', 'plugins', 'sso', 'scim'],
  properties: {
    caseTypes: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['key', 'version', 'sha256', 'policies'], properties: { key: str, version: int, sha256: str, policies: { type: 'array', items: policyRef } } },
    },
    roles: {
      type: 'object',
      additionalProperties: false,
      required: ['sha256', 'roles'],
      properties: {
        version: int,
        sha256: str,
        roles: { type: 'object', additionalProperties: { type: 'object', additionalProperties: false, required: ['description', 'permissions'], properties: { description: str, permissions: strings } } },
      },
    },
    teams: { type: 'object', additionalProperties: false, required: ['declared', 'teams'], properties: { declared: { type: 'boolean' }, teams: { type: 'object', additionalProperties: strings } } },
    intake: {
      type: 'object',
      additionalProperties: false,
      required: ['sha256', 'addresses', 'routes', 'forms', 'alerts'],
      properties: { sha256: { type: ['string', 'null'] }, addresses: strings, routes: strings, forms: strings, alerts: strings },
    },
    plugins: { type: 'object', additionalProperties: false, required: ['sha256', 'plugins'], properties: { sha256: { type: ['string', 'null'] }, plugins: strings } },
    sso: {
      type: 'object',
      additionalProperties: false,
      required: ['sha256', 'enabled', 'groups'],
      description: 'sso.yaml as single sign-on runs it: on or off as at start, and what each group grants',
      properties: { sha256: { type: ['string', 'null'] }, enabled: { type: 'boolean' }, groups: grants },
    },
    scim: {
      type: 'object',
      additionalProperties: false,
      required: ['sha256', 'unknownGroups', 'groups'],
      description: 'scim.yaml: what each SCIM group grants (names lower-cased, as they are matched)',
      properties: { sha256: { type: ['string', 'null'] }, unknownGroups: { type: 'string', enum: ['refuse', 'ignore'] }, groups: grants },
    },
  },
} as const;

const problem = {
  type: 'object',
  additionalProperties: false,
  required: ['file', 'line', 'col', 'severity', 'code', 'message'],
  properties: { file: str, line: int, col: int, severity: { type: 'string', enum: ['error', 'warning'] }, code: str, message: str, hint: str },
} as const;

const policyChange = { type: 'object', additionalProperties: false, required: ['key', 'from', 'to'], properties: { key: str, from: { type: ['integer', 'null'] }, to: int, note: str } } as const;
const groupsDiff = { changed: { type: 'boolean' }, groupsAdded: strings, groupsRemoved: strings, groupsChanged: strings } as const;
const diff = {
  type: 'object',
  additionalProperties: false,
  required: ['caseTypes', 'roles', 'teams', 'intake', 'plugins', 'sso', 'scim', 'changed', 'restartNeeded'],
  properties: {
    caseTypes: {
      type: 'object',
      additionalProperties: false,
      required: ['added', 'edited'],
      properties: {
        added: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['key', 'version', 'previous', 'policies'], properties: { key: str, version: int, previous: { type: ['integer', 'null'] }, policies: { type: 'array', items: policyChange } } } },
        edited: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['key', 'version'], properties: { key: str, version: int } } },
      },
    },
    roles: {
      type: 'object',
      additionalProperties: false,
      required: ['added', 'removed', 'changed'],
      properties: {
        added: strings,
        removed: strings,
        changed: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['role', 'permissionsAdded', 'permissionsRemoved', 'description'], properties: { role: str, permissionsAdded: strings, permissionsRemoved: strings, description: { type: 'boolean' } } } },
      },
    },
    teams: {
      type: 'object',
      additionalProperties: false,
      required: ['added', 'removed', 'changed'],
      properties: { added: strings, removed: strings, changed: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['team', 'queuesAdded', 'queuesRemoved'], properties: { team: str, queuesAdded: strings, queuesRemoved: strings } } } },
    },
    intake: {
      type: 'object',
      additionalProperties: false,
      required: ['changed', 'addressesAdded', 'addressesRemoved', 'routesAdded', 'routesRemoved', 'formsChanged', 'alertsChanged'],
      properties: { changed: { type: 'boolean' }, addressesAdded: strings, addressesRemoved: strings, routesAdded: strings, routesRemoved: strings, formsChanged: { type: 'boolean' }, alertsChanged: { type: 'boolean' } },
    },
    plugins: { type: 'object', additionalProperties: false, required: ['changed', 'added', 'removed'], properties: { changed: { type: 'boolean' }, added: strings, removed: strings } },
    sso: {
      type: 'object',
      additionalProperties: false,
      required: ['changed', 'groupsAdded', 'groupsRemoved', 'groupsChanged', 'enabled'],
      properties: {
        ...groupsDiff,
        enabled: {
          type: ['object', 'null'],
          description: 'Set when sso.yaml turns single sign-on on or off: that waits for a restart (see restartNeeded)',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { from: { type: 'boolean' }, to: { type: 'boolean' } },
        },
      },
    },
    scim: { type: 'object', additionalProperties: false, required: ['changed', 'groupsAdded', 'groupsRemoved', 'groupsChanged'], properties: groupsDiff },
    changed: { type: 'boolean' },
    restartNeeded: strings,
  },
} as const;

/**
 * The running configuration (what `latch config diff` compares a directory with) and its reload.
 * Both are for the people who run the deployment: user:manage, which only admins hold by default.
 */
export const configRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.get(
    '/api/v1/config',
    {
      config: { permission: 'user:manage' },
      schema: {
        tags: ['config'],
        summary: 'The configuration this server runs: case type and policy versions with their SHA-256, the role set, teams, intake, plugins, SSO and SCIM group mappings',
        response: {
          200: { type: 'object', additionalProperties: false, required: ['loadedAt', 'configDir', 'snapshot'], properties: { loadedAt: { type: 'string', format: 'date-time' }, configDir: str, snapshot } },
          ...errors(401, 403),
        },
      },
    },
    async () => {
      const active = activeConfig(ctx);
      if (!active) throw new LatchError('NOT_FOUND', 'This server was not started from a configuration directory');
      return { loadedAt: active.loadedAt.toISOString(), configDir: ctx.config.configDir, snapshot: active.snapshot };
    },
  );

  app.post(
    '/api/v1/config::reload',
    {
      config: { permission: 'user:manage' },
      schema: {
        tags: ['config'],
        summary: 'Check the configuration directory again and put it in force without a restart; on any error the running configuration stays (422 CONFIG_INVALID with the problems)',
        response: {
          200: { type: 'object', additionalProperties: false, required: ['roleSetVersion', 'diff', 'warnings'], properties: { roleSetVersion: int, diff, warnings: { type: 'array', items: problem } } },
          ...errors(401, 403, 422),
        },
      },
    },
    async (request) => reloadConfig(ctx, actorOf(request.principal!), (level, message) => request.log[level](message)),
  );
};
