import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, SESSION_COOKIE } from '../auth.js';
import { badRequest, forbidden, HttpError, type Validation } from '../errors.js';
import { errors } from '../../contract/common.js';
import { UUID_RE } from '../params.js';
import type { InboxFilter, InboxFormat, ReadStatus, StateFilter } from '../../notifications/inbox/queries.js';
import {
  ArchiveBody,
  InboxChange,
  InboxIdParam as IdParam,
  InboxListQuery,
  InboxPage,
  INBOX_FILTER_QUERY,
  INBOX_KINDS,
  InboxWatchQuery,
  INBOX_WATCH_DESCRIPTION,
  WATCH_TOKEN_PARAM,
  ReadStatusBody,
  SnoozeBody,
  type InboxKind,
} from '../../contract/inbox.js';
import type { InboxService } from '../../notifications/inbox/service.js';
import type { InboxWatchHub } from '../../notifications/inbox/watch-hub.js';

const tags = ['Notifications'];


/** The query as text: a repeated parameter counts as a comma-separated list. */
function param(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

interface ParsedQuery extends InboxFilter {
  startingBefore?: string;
  format: InboxFormat;
  updates: boolean;
}

const STATE_VALUES: readonly string[] = ['true', 'false', 'all'];

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
  const state = (name: string): StateFilter => {
    const v = param(q, name) || 'false';
    if (!STATE_VALUES.includes(v)) validations.push({ field: name, detail: `Query param "${name}" must be one of "true", "false", "all"` });
    return v as StateFilter;
  };
  const archived = state('archived');
  const snoozed = state('snoozed');
  const kinds = (param(q, 'kinds') ?? '').split(',').map((s) => s.trim()).filter(Boolean) as InboxKind[];
  const badKind = kinds.find((k) => !(INBOX_KINDS as readonly string[]).includes(k));
  if (badKind) validations.push({ field: 'kinds', detail: `Query param "kinds" has invalid values: unknown kind "${badKind.slice(0, 40)}"` });
  let search: string | undefined;
  if (allowed.includes('q')) {
    search = param(q, 'q');
    if (search && search.length > 200) validations.push({ field: 'q', detail: 'at most 200 characters' });
  }
  let updates = false;
  if (allowed.includes('updates')) {
    const u = param(q, 'updates') || 'false';
    if (u !== 'true' && u !== 'false') validations.push({ field: 'updates', detail: `Query param "updates" must be "true" or "false"` });
    updates = u === 'true';
  }
  if (validations.length) throw badRequest('Query parameters have invalid values.', undefined, validations);
  const readStatus = param(q, 'read_status') || 'all';
  if (readStatus !== 'all' && readStatus !== 'read' && readStatus !== 'unread') {
    // The reference's message names the wrong parameter; kept for compatibility, the detail says which.
    throw badRequest("starting_before query parameter should be any of 'all', 'read', 'unread'.", `Invalid read_status "${readStatus}".`);
  }
  return { targets, templates, readStatus: readStatus as ReadStatus, startingBefore, format, kinds, archived, snoozed, search, updates };
}

/** List, read status and mark-all: registered in the authenticated scope. */
const LIST_PARAMS = ['targets', 'templates', 'read_status', 'starting_before', 'kinds', 'archived', 'snoozed', 'q'] as const;
const WATCH_PARAMS = ['targets', 'templates', 'read_status', 'format', 'kinds', 'archived', 'snoozed', 'updates'] as const;

export async function inboxRoutes(app: FastifyInstance, deps: { inbox: InboxService }): Promise<void> {
  const { inbox } = deps;

  app.get(
    '/notifications/inbox',
    {
      schema: {
        tags,
        summary: 'List inbox notifications (25 a page, newest first)',
        querystring: InboxListQuery,
        response: { 200: InboxPage, ...errors(400, 401) },
      },
    },
    async (req) => inbox.list(actorOf(req), parseInboxQuery(req.query, [...LIST_PARAMS])),
  );

  app.put<{ Params: Static<typeof IdParam>; Body: Static<typeof ReadStatusBody> }>(
    '/notifications/inbox/:id/read-status',
    { schema: { tags, params: IdParam, body: ReadStatusBody, response: { 200: InboxChange, ...errors(400, 401, 404) } } },
    async (req) => inbox.setReadStatus(actorOf(req), req.params.id, req.body.is_read),
  );

  app.put<{ Params: Static<typeof IdParam>; Body: Static<typeof ArchiveBody> }>(
    '/notifications/inbox/:id/archive',
    {
      schema: {
        tags,
        summary: 'Archive an inbox notification (or put it back with {"archived":false})',
        params: IdParam,
        body: ArchiveBody,
        response: { 200: InboxChange, ...errors(400, 401, 404) },
      },
      // The body is optional: a bare PUT archives.
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
    },
    async (req) => inbox.setArchived(actorOf(req), req.params.id, req.body.archived ?? true),
  );

  app.put<{ Params: Static<typeof IdParam>; Body: Static<typeof SnoozeBody> }>(
    '/notifications/inbox/:id/snooze',
    {
      schema: {
        tags,
        summary: 'Snooze an inbox notification until a time (null: wake it now)',
        params: IdParam,
        body: SnoozeBody,
        response: { 200: InboxChange, ...errors(400, 401, 404) },
      },
    },
    async (req) => inbox.snooze(actorOf(req), req.params.id, req.body.until),
  );

  app.put('/notifications/inbox/mark-all-as-read', { schema: { tags, response: { ...errors(401) } } }, async (req, reply) => {
    await inbox.markAllRead(actorOf(req));
    return reply.status(204).send();
  });
}

/** Whether the session comes from the cookie (no token header, no Bearer, no query token). */
export function cookieAuthenticated(req: FastifyRequest): boolean {
  const h = req.headers['coder-session-token'];
  if (typeof h === 'string' && h) return false;
  if (/^bearer\s+/i.test(req.headers.authorization ?? '')) return false;
  return (req.headers.cookie ?? '').split(';').some((part) => part.trim().startsWith(`${SESSION_COOKIE}=`));
}

/**
 * A browser page may open a cookie-authenticated watch only from the access URL's origin, or from
 * the origin the request itself was sent to (same origin, as the reference's WebSocket library
 * accepts). Anything else, `null` included, is another site riding the user's cookie. A request
 * without an Origin does not come from a browser page: it is not checked.
 */
export function watchOriginAllowed(origin: string | undefined, host: string | undefined, accessOrigin: string): boolean {
  if (origin === undefined) return true;
  if (origin === accessOrigin) return true;
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!host && u.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

export interface InboxWatchDeps {
  hub: InboxWatchHub;
  /** The session check every authenticated route runs (an onRequest hook). */
  authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** The deployment's access URL: pages on its origin may watch with the session cookie. */
  accessUrl: string;
}

/**
 * GET /notifications/inbox/watch: a WebSocket of `{notification, unread_count}` frames. It
 * authenticates like every API route (header, Bearer, cookie) and also accepts the session token
 * as a query parameter; filters are checked before the upgrade so bad input is a plain 400.
 */
export async function inboxWatchRoute(app: FastifyInstance, deps: InboxWatchDeps): Promise<void> {
  const { hub } = deps;
  const accessOrigin = new URL(deps.accessUrl).origin;
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req: FastifyRequest, reply) => {
      const q = (req.query ?? {}) as Record<string, unknown>;
      const t = q[WATCH_TOKEN_PARAM];
      if (typeof t === 'string' && t && !req.headers['coder-session-token'] && !req.headers.authorization) {
        req.headers['coder-session-token'] = t;
      }
      // Cross-site WebSocket hijacking: browsers attach cookies to cross-origin handshakes.
      const origin = req.headers.origin;
      if (cookieAuthenticated(req) && !watchOriginAllowed(origin, req.headers.host, accessOrigin)) {
        throw forbidden(
          'Cross-origin WebSocket request refused.',
          `A watch authenticated by the session cookie must come from ${accessOrigin}, not from ${JSON.stringify(String(origin).replace(/[^\x20-\x7e]/g, '?').slice(0, 200))}.`,
        );
      }
      await deps.authenticate(req, reply);
    });

    scope.get(
      '/notifications/inbox/watch',
      {
        websocket: true,
        schema: {
          tags,
          summary: 'Watch new inbox notifications (WebSocket)',
          description: INBOX_WATCH_DESCRIPTION,
          querystring: InboxWatchQuery,
        },
        preValidation: async (req) => {
          const parsed = parseInboxQuery(req.query, [...WATCH_PARAMS, WATCH_TOKEN_PARAM]);
          (req as FastifyRequest & { inboxWatch?: ParsedQuery }).inboxWatch = parsed;
        },
        // A plain GET (no upgrade) answers 426 with a JSON error, as the reference's websocket.Accept does.
        preHandler: async (req) => {
          if (!req.ws) throw new HttpError(426, 'Upgrade Required', 'This endpoint is a WebSocket: send an Upgrade request.');
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
          filter: {
            targets: parsed.targets,
            templates: parsed.templates,
            readStatus: parsed.readStatus,
            kinds: parsed.kinds,
            archived: parsed.archived,
            snoozed: parsed.snoozed,
          },
          format: parsed.format,
          updates: parsed.updates,
          socket,
          dropped: 0,
          alive: true,
        });
      },
    );
  });
}
