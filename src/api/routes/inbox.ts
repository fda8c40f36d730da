import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { actorOf, authenticate } from '../auth.js';
import { badRequest, notFound, type Validation } from '../errors.js';
import { errors, Uuid } from '../../contract/common.js';
import { UUID_RE } from '../params.js';
import {
  countUnread,
  listInbox,
  markAllRead,
  setReadStatus,
  type InboxFilter,
  type InboxFormat,
  type ReadStatus,
} from '../../notifications/inbox/queries.js';
import type { InboxWatchHub } from '../../notifications/inbox/watch-hub.js';

const tags = ['Notifications'];

const InboxAction = Type.Object({ label: Type.String(), url: Type.String() });
const InboxNotification = Type.Object({
  id: Uuid,
  user_id: Uuid,
  template_id: Uuid,
  targets: Type.Array(Uuid),
  title: Type.String(),
  content: Type.String(),
  icon: Type.String(),
  actions: Type.Array(InboxAction),
  read_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});
const ListResponse = Type.Object({ notifications: Type.Array(InboxNotification), unread_count: Type.Integer() });
const ReadStatusResponse = Type.Object({ notification: InboxNotification, unread_count: Type.Integer() });
const ReadStatusBody = Type.Object({ is_read: Type.Boolean() });
const IdParam = Type.Object({ id: Type.String({ maxLength: 64 }) });

const FILTER_DOC = {
  targets: Type.Optional(Type.String({ description: 'Comma-separated target UUIDs; a row must have every one.' })),
  templates: Type.Optional(Type.String({ description: 'Comma-separated template UUIDs; a row must have one of them.' })),
  read_status: Type.Optional(Type.String({ description: 'all (default), read or unread' })),
};

/** The query as text: a repeated parameter counts as a comma-separated list. */
function param(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

interface ParsedQuery extends InboxFilter {
  startingBefore?: string;
  format: InboxFormat;
}

/** Validates the inbox query parameters the way the reference does (unknown ones are errors). */
export function parseInboxQuery(raw: unknown, allowed: string[]): ParsedQuery {
  const q = (raw ?? {}) as Record<string, unknown>;
  const validations: Validation[] = [];
  for (const k of Object.keys(q)) {
    if (!allowed.includes(k)) validations.push({ field: k, detail: `Query param "${k}" is not a valid query param` });
  }
  const uuids = (name: string): string[] => {
    const v = param(q, name);
    if (!v) return [];
    const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = parts.filter((p) => !UUID_RE.test(p));
    if (bad.length) validations.push({ field: name, detail: `Query param "${name}" has invalid values: invalid UUID "${bad[0]}"` });
    return parts.map((p) => p.toLowerCase());
  };
  const targets = uuids('targets');
  const templates = uuids('templates');
  let startingBefore: string | undefined;
  if (allowed.includes('starting_before')) {
    const s = param(q, 'starting_before');
    if (s) {
      if (UUID_RE.test(s)) startingBefore = s.toLowerCase();
      else validations.push({ field: 'starting_before', detail: `Query param "starting_before" must be a valid uuid` });
    }
  }
  let format: InboxFormat = 'markdown';
  if (allowed.includes('format')) {
    const f = param(q, 'format') || 'markdown';
    if (f !== 'markdown' && f !== 'plaintext') {
      validations.push({ field: 'format', detail: `Query param "format" must be one of "markdown", "plaintext"` });
    } else format = f;
  }
  if (validations.length) throw badRequest('Query parameters have invalid values.', undefined, validations);
  const readStatus = param(q, 'read_status') || 'all';
  if (readStatus !== 'all' && readStatus !== 'read' && readStatus !== 'unread') {
    // The reference's message names the wrong parameter; kept for compatibility, the detail says which.
    throw badRequest("starting_before query parameter should be any of 'all', 'read', 'unread'.", `Invalid read_status "${readStatus}".`);
  }
  return { targets, templates, readStatus: readStatus as ReadStatus, startingBefore, format };
}

/** List, read status and mark-all: registered in the authenticated scope. */
export async function inboxRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;

  app.get(
    '/notifications/inbox',
    {
      schema: {
        tags,
        summary: 'List inbox notifications (25 a page, newest first)',
        querystring: Type.Object({
          ...FILTER_DOC,
          starting_before: Type.Optional(Type.String({ description: 'Id of the last row of the previous page.' })),
        }),
        response: { 200: ListResponse, ...errors(400, 401) },
      },
    },
    async (req) => {
      const userId = actorOf(req).user.id;
      const f = parseInboxQuery(req.query, ['targets', 'templates', 'read_status', 'starting_before']);
      const notifications = await listInbox(db, userId, f);
      return { notifications, unread_count: await countUnread(db, userId) };
    },
  );

  app.put<{ Params: Static<typeof IdParam>; Body: Static<typeof ReadStatusBody> }>(
    '/notifications/inbox/:id/read-status',
    { schema: { tags, params: IdParam, body: ReadStatusBody, response: { 200: ReadStatusResponse, ...errors(400, 401, 404) } } },
    async (req) => {
      const userId = actorOf(req).user.id;
      const id = req.params.id;
      if (!UUID_RE.test(id)) throw badRequest(`Invalid UUID "${id}".`, undefined, [{ field: 'id', detail: 'must be a UUID' }]);
      // Only the caller's own rows: another user's id is indistinguishable from an unknown one.
      const notification = await setReadStatus(db, userId, id.toLowerCase(), req.body.is_read);
      if (!notification) throw notFound();
      return { notification, unread_count: await countUnread(db, userId) };
    },
  );

  app.put('/notifications/inbox/mark-all-as-read', { schema: { tags, response: { ...errors(401) } } }, async (req, reply) => {
    await markAllRead(db, actorOf(req).user.id);
    return reply.status(204).send();
  });
}

/** The query parameter browsers can use when they cannot set headers on a WebSocket. */
export const WATCH_TOKEN_PARAM = 'coder_session_token';

/**
 * GET /notifications/inbox/watch: a WebSocket of `{notification, unread_count}` frames. It
 * authenticates like every API route (header, Bearer, cookie) and also accepts the session token
 * as a query parameter; filters are checked before the upgrade so bad input is a plain 400.
 */
export async function inboxWatchRoute(app: FastifyInstance, ctx: AppContext, hub: InboxWatchHub): Promise<void> {
  await app.register(async (scope) => {
    const auth = authenticate(ctx.authenticator);
    scope.addHook('onRequest', async (req: FastifyRequest, reply) => {
      const q = (req.query ?? {}) as Record<string, unknown>;
      const t = q[WATCH_TOKEN_PARAM];
      if (typeof t === 'string' && t && !req.headers['coder-session-token'] && !req.headers.authorization) {
        req.headers['coder-session-token'] = t;
      }
      await auth(req, reply);
    });

    scope.get(
      '/notifications/inbox/watch',
      {
        websocket: true,
        schema: {
          tags,
          summary: 'Watch new inbox notifications (WebSocket)',
          querystring: Type.Object({
            ...FILTER_DOC,
            format: Type.Optional(Type.String({ description: 'markdown (default) or plaintext' })),
            [WATCH_TOKEN_PARAM]: Type.Optional(Type.String()),
          }),
        },
        preValidation: async (req) => {
          const parsed = parseInboxQuery(req.query, ['targets', 'templates', 'read_status', 'format', WATCH_TOKEN_PARAM]);
          (req as FastifyRequest & { inboxWatch?: ParsedQuery }).inboxWatch = parsed;
        },
      },
      (socket, req) => {
        const actor = actorOf(req);
        const parsed = (req as FastifyRequest & { inboxWatch?: ParsedQuery }).inboxWatch!;
        // Clients send nothing; anything they do send is ignored.
        socket.on('message', () => undefined);
        hub.add({
          userId: actor.user.id,
          keyId: actor.key.id,
          filter: { targets: parsed.targets, templates: parsed.templates, readStatus: parsed.readStatus },
          format: parsed.format,
          socket,
          dropped: 0,
          alive: true,
        });
      },
    );
  });
}
