import { Type, type Static } from '@sinclair/typebox';
import { DateTime, errors, NoContent, Nullable, Uuid } from './common.js';
import { NotificationAction } from './notifications.js';

// The inbox: list, read status, and the WebSocket that streams new rows.

/** Rows a page of GET /notifications/inbox holds (fixed by the server). */
export const INBOX_PAGE_SIZE = 25;
/** The query parameter browsers can use when they cannot set headers on a WebSocket. */
export const WATCH_TOKEN_PARAM = 'coder_session_token';

export const InboxNotification = Type.Object({
  id: Uuid,
  user_id: Uuid,
  template_id: Uuid,
  targets: Type.Array(Uuid),
  title: Type.String(),
  content: Type.String(),
  icon: Type.String(),
  actions: Type.Array(NotificationAction),
  read_at: Nullable(DateTime),
  created_at: DateTime,
});
export type InboxNotification = Static<typeof InboxNotification>;

export const InboxPage = Type.Object({ notifications: Type.Array(InboxNotification), unread_count: Type.Integer() });
export type InboxPage = Static<typeof InboxPage>;
export const ReadStatusResponse = Type.Object({ notification: InboxNotification, unread_count: Type.Integer() });
export type ReadStatusResponse = Static<typeof ReadStatusResponse>;
export const ReadStatusBody = Type.Object({ is_read: Type.Boolean() });
export type ReadStatusBody = Static<typeof ReadStatusBody>;
export const InboxIdParam = Type.Object({ id: Type.String({ maxLength: 64 }) });

const FILTER = {
  targets: Type.Optional(Type.String({ description: 'Comma-separated target UUIDs; a row must have every one.' })),
  templates: Type.Optional(Type.String({ description: 'Comma-separated template UUIDs; a row must have one of them.' })),
  read_status: Type.Optional(Type.String({ description: 'all (default), read or unread' })),
};
export const InboxListQuery = Type.Object({
  ...FILTER,
  starting_before: Type.Optional(Type.String({ description: 'Id of the last row of the previous page.' })),
});
export type InboxListQuery = Static<typeof InboxListQuery>;
export const InboxWatchQuery = Type.Object({
  ...FILTER,
  format: Type.Optional(Type.String({ description: 'markdown (default) or plaintext' })),
  [WATCH_TOKEN_PARAM]: Type.Optional(Type.String({ description: 'The session token, for clients that cannot set headers on a WebSocket.' })),
});
export type InboxWatchQuery = Static<typeof InboxWatchQuery>;

/** One text frame of the inbox watch WebSocket (server to client; clients send nothing). */
export const InboxWatchFrame = Type.Object(
  { notification: InboxNotification, unread_count: Type.Integer() },
  { description: 'Switching Protocols: a WebSocket; each text frame is one JSON InboxWatchFrame.' },
);
export type InboxWatchFrame = Static<typeof InboxWatchFrame>;

export const INBOX_WATCH_DESCRIPTION =
  'A WebSocket (send `Connection: Upgrade`, `Upgrade: websocket`): the server sends one JSON text frame ' +
  '`{notification, unread_count}` for each new inbox row that matches the filters; clients send nothing. ' +
  'Bad filters answer 400 before the upgrade, a cookie-authenticated request from another origin 403, and a request without the upgrade 426.';

export const inboxEndpoints = {
  'GET /notifications/inbox': { querystring: InboxListQuery, response: { 200: InboxPage } },
  'PUT /notifications/inbox/{id}/read-status': { params: InboxIdParam, body: ReadStatusBody, response: { 200: ReadStatusResponse } },
  'PUT /notifications/inbox/mark-all-as-read': { response: { 204: NoContent } },
  'GET /notifications/inbox/watch': { querystring: InboxWatchQuery, response: { 101: InboxWatchFrame, ...errors(400, 401, 403, 426) } },
} as const;
