import { LatchError, sha256Hex } from '@latch/core';
import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../auth/principal.js';
import { addAttachment, listAttachments, presentAttachment, readAttachment } from '../../cases/attachments.js';
import type { LatchContext } from '../../context.js';
import { principalOf } from '../authenticate.js';
import { runCommand } from '../idempotency.js';
import { errors, idParams, ref, uuid } from '../schemas.js';

// Types a browser would render or run if opened inline; they are always served as downloads of opaque bytes.
const ACTIVE_CONTENT = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|application\/javascript|text\/javascript)/;

/**
 * Attachments are sent as the raw request body (any Content-Type) with `?filename=`. They are
 * stored by SHA-256 and served back inert: as downloads, never sniffed or rendered in place.
 */
export const attachmentRoutes = (ctx: LatchContext): FastifyPluginAsync => async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.config.maxAttachmentBytes }, (_request, body, done) => done(null, body));

  app.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/attachments',
    {
      config: { permission: 'case:read' },
      schema: { tags: ['cases'], params: idParams, response: { 200: { type: 'object', properties: { items: { type: 'array', items: ref('Attachment') } } }, ...errors(401, 403, 404) } },
    },
    async (request) => ({
      items: (await listAttachments(ctx.database.db, ctx.teams.visibilityOf(principalOf(request)), request.params.id)).map(presentAttachment),
    }),
  );

  app.post<{ Params: { id: string }; Querystring: { filename: string }; Body: Buffer }>(
    '/api/v1/cases/:id/attachments',
    {
      config: { permission: 'case:attach' },
      schema: {
        tags: ['cases'],
        summary: 'Attach a file: the body is the file, Content-Type its media type, ?filename= its name',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, required: ['filename'], properties: { filename: { type: 'string', minLength: 1, maxLength: 255 } } },
        response: { 201: ref('Attachment'), ...errors(400, 401, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const data = request.body;
      if (!Buffer.isBuffer(data)) throw new LatchError('VALIDATION_FAILED', 'The request body must be the file’s bytes');
      const file = { filename: request.query.filename, contentType: request.headers['content-type'] ?? 'application/octet-stream', data };
      return runCommand(
        ctx,
        request,
        reply,
        async (tx) => ({
          status: 201,
          body: presentAttachment(await addAttachment(tx, ctx.teams.visibilityOf(principal), actorOf(principal), principal.userId, request.params.id, file)),
        }),
        `${file.filename}\n${file.contentType}\n${sha256Hex(data)}`,
      );
    },
  );

  app.get<{ Params: { id: string; attachmentId: string } }>(
    '/api/v1/cases/:id/attachments/:attachmentId',
    {
      config: { permission: 'case:read' },
      schema: {
        tags: ['cases'],
        summary: 'Download an attachment’s bytes',
        params: { type: 'object', required: ['id', 'attachmentId'], properties: { id: uuid, attachmentId: uuid } },
        response: { ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { attachment, data } = await readAttachment(ctx.database.db, ctx.teams.visibilityOf(principalOf(request)), request.params.id, request.params.attachmentId);
      const type = ACTIVE_CONTENT.test(attachment.contentType) ? 'application/octet-stream' : attachment.contentType;
      const asciiName = attachment.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
      return reply
        .header('content-type', type)
        .header('content-disposition', `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('x-attachment-sha256', attachment.sha256)
        .send(data);
    },
  );
};
