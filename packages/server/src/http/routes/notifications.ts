import type { FastifyPluginAsync } from 'fastify';
import type { LatchContext } from '../../context.js';
import { listDeliveries } from '../../notifications/delivery-log.js';
import { NOTIFICATION_KINDS } from '../../notifications/kinds.js';
import { countUnread, listNotifications, markRead } from '../../notifications/list-notifications.js';
import { readPreferences, savePreferences, type KindSwitches } from '../../notifications/preferences.js';
import { principalOf } from '../authenticate.js';
import { errors, isoDate, uuid } from '../schemas.js';

const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] });
const kind = { type: 'string', enum: [...NOTIFICATION_KINDS] } as const;
const notification = {
  type: 'object',
  required: ['id', 'kind', 'headline', 'caseId', 'caseTitle', 'actionId', 'link', 'deadline', 'createdAt', 'readAt'],
  properties: {
    id: uuid,
    kind,
    headline: { type: 'string' },
    caseId: nullable(uuid),
    caseTitle: nullable({ type: 'string' }),
    actionId: nullable(uuid),
    link: { type: 'string', description: 'A console path: the case, or the approvals inbox for a waiting approval' },
    deadline: nullable(isoDate),
    createdAt: isoDate,
    readAt: nullable(isoDate),
  },
} as const;
const switches = { type: 'object', additionalProperties: false, properties: Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, { type: 'boolean' }])) } as const;
const preferences = {
  type: 'object',
  required: ['email', 'slack', 'digest', 'slackMemberId', 'channels'],
  properties: {
    email: switches,
    slack: switches,
    digest: { type: 'string', enum: ['off', 'daily'] },
    slackMemberId: nullable({ type: 'string' }),
    channels: {
      type: 'object',
      description: 'Which external channels this deployment has configured; the others send nothing',
      required: ['email', 'slack'],
      properties: { email: { type: 'boolean' }, slack: { type: 'boolean' } },
    },
  },
} as const;
const delivery = {
  type: 'object',
  required: ['id', 'recipientId', 'notificationId', 'kind', 'channel', 'status', 'attempts', 'lastError', 'createdAt', 'updatedAt'],
  properties: {
    id: uuid,
    recipientId: uuid,
    notificationId: nullable(uuid),
    kind: { type: 'string', description: 'The notification kind, or `digest`' },
    channel: { type: 'string', enum: ['email', 'slack'] },
    status: { type: 'string', enum: ['pending', 'retrying', 'sent', 'failed', 'cancelled'] },
    attempts: { type: 'integer' },
    lastError: nullable({ type: 'string', description: 'A short code (smtp:ECONNECTION, slack:channel_not_found), never a server’s text' }),
    createdAt: isoDate,
    updatedAt: isoDate,
  },
} as const;
const page = (items: object) => ({ type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items }, next: nullable(uuid) } });
/** Query values are strings (no coercion in this API): 1 to 200, default 50. */
const limit = { type: 'string', pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' } as const;

/** Your notifications, their unread count and your preferences; the delivery log for user managers. */
export const notificationRoutes =
  (ctx: LatchContext): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: { before?: string; limit?: string; unread?: 'true' | 'false' } }>(
      '/api/v1/notifications',
      {
        config: { permission: 'case:read' },
        schema: {
          tags: ['notifications'],
          summary: 'Your notifications, newest first (cursor: `before` = the last id of the previous page)',
          querystring: { type: 'object', additionalProperties: false, properties: { before: uuid, limit, unread: { type: 'string', enum: ['true', 'false'] } } },
          response: { 200: page(notification), ...errors(400, 401, 403) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { before, limit: size, unread } = request.query;
        return listNotifications(ctx.database.db, principal.userId, ctx.teams.visibilityOf(principal), { before, limit: Number(size ?? 50), unread: unread === 'true' });
      },
    );

    app.get(
      '/api/v1/notifications/count',
      {
        config: { permission: 'case:read' },
        schema: { tags: ['notifications'], summary: 'How many of your notifications are unread', response: { 200: { type: 'object', required: ['unread'], properties: { unread: { type: 'integer' } } }, ...errors(401, 403) } },
      },
      async (request) => ({ unread: await countUnread(ctx.database.db, principalOf(request).userId) }),
    );

    app.post<{ Body: { ids?: string[]; all?: true } }>(
      '/api/v1/notifications/read',
      {
        config: { permission: 'case:read' },
        schema: {
          tags: ['notifications'],
          summary: 'Mark notifications read: `ids` (yours; any other is a 404 and nothing changes) or `all: true`',
          body: {
            type: 'object',
            additionalProperties: false,
            oneOf: [{ required: ['ids'] }, { required: ['all'] }],
            properties: { ids: { type: 'array', items: uuid, minItems: 1, maxItems: 200 }, all: { type: 'boolean', const: true } },
          },
          response: { 200: { type: 'object', required: ['marked', 'unread'], properties: { marked: { type: 'integer' }, unread: { type: 'integer' } } }, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const userId = principalOf(request).userId;
        const body = request.body;
        const marked = await ctx.database.write((tx) => markRead(tx, userId, body.ids ? { ids: body.ids } : { all: true }));
        return { marked, unread: await countUnread(ctx.database.db, userId) };
      },
    );

    const present = async (userId: string) => ({
      ...(await readPreferences(ctx.database.db, userId)),
      channels: { email: ctx.config.notify.smtpUrl !== undefined, slack: ctx.config.notify.slackToken !== undefined },
    });

    app.get(
      '/api/v1/me/notification-preferences',
      { config: { permission: 'case:read' }, schema: { tags: ['notifications'], summary: 'Your notification preferences', response: { 200: preferences, ...errors(401, 403) } } },
      async (request) => present(principalOf(request).userId),
    );

    app.put<{ Body: { email?: Partial<KindSwitches>; slack?: Partial<KindSwitches>; digest: 'off' | 'daily'; slackMemberId: string | null } }>(
      '/api/v1/me/notification-preferences',
      {
        config: { permission: 'case:read' },
        schema: {
          tags: ['notifications'],
          summary: 'Set your notification preferences: per channel and kind on or off (kinds left out keep their setting), the daily digest, your Slack member id',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['digest', 'slackMemberId'],
            properties: {
              email: switches,
              slack: switches,
              digest: { type: 'string', enum: ['off', 'daily'] },
              slackMemberId: nullable({ type: 'string', pattern: '^[UW][A-Z0-9]{2,20}$', description: 'Your Slack member id (U… or W…), from your Slack profile' }),
            },
          },
          response: { 200: preferences, ...errors(400, 401, 403) },
        },
      },
      async (request) => {
        const userId = principalOf(request).userId;
        await ctx.database.write((tx) => savePreferences(tx, userId, request.body));
        return present(userId);
      },
    );

    app.get<{ Querystring: { before?: string; limit?: string; status?: string } }>(
      '/api/v1/notifications/deliveries',
      {
        config: { permission: 'user:manage' },
        schema: {
          tags: ['notifications'],
          summary: 'The delivery log: every email and Slack message, its status, attempts and last error code (no message content)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { before: uuid, limit, status: { type: 'string', enum: ['pending', 'retrying', 'sent', 'failed', 'cancelled'] } },
          },
          response: { 200: page(delivery), ...errors(400, 401, 403) },
        },
      },
      async (request) => listDeliveries(ctx.database.db, { ...request.query, limit: Number(request.query.limit ?? 50) }),
    );
  };

