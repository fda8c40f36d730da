import { Type, type Static } from '@sinclair/typebox';
import { DateTime, errors, NoContent, Uuid } from './common.js';
import { NotificationAction } from './notifications.js';

// The inbox: the reference's InboxNotification plus Herald's additive fields (archive, snooze, kind),
// its list and read-status requests, and the WebSocket that streams changes. The reference's fields
// and their meaning are unchanged.

/** Rows a page of GET /notifications/inbox holds (fixed by the server). */
export const INBOX_PAGE_SIZE = 25;
/** The query parameter browsers can use when they cannot set headers on a WebSocket. */
export const WATCH_TOKEN_PARAM = 'coder_session_token';

export const INBOX_KINDS = ['workspace', 'task', 'template', 'user', 'custom', 'test', 'other'] as const;
export const InboxKind = Type.Union(INBOX_KINDS.map((k) => Type.Literal(k)), {
  description: "The template's group as a key: the dashboard's icon and the kind filter.",
});
export type InboxKind = Static<typeof InboxKind>;

/** Members of a grouped message listed in its inbox row (the count is exact). */
export const INBOX_GROUP_EVENTS = 25;

const NullableDateTime = Type.Union([DateTime, Type.Null()]);

export const InboxNotification = Type.Object({
  id: Uuid,
  user_id: Uuid,
  template_id: Uuid,
  targets: Type.Array(Uuid),
  title: Type.String({ description: "The template's title, rendered (markdown, or plain text with format=plaintext)." }),
  content: Type.String({ description: 'The rendered body.' }),
  icon: Type.String(),
  actions: Type.Array(NotificationAction),
  read_at: NullableDateTime,
  created_at: DateTime,
  archived_at: Type.Union([DateTime, Type.Null()], { description: 'Herald: when it was archived; null: in the inbox.' }),
  snoozed_until: Type.Union([DateTime, Type.Null()], {
    description: 'Herald: hidden until then; null: not snoozed. When due it comes back unread and this is cleared.',
  }),
  kind: InboxKind,
  group: Type.Optional(
    Type.Object(
      {
        count: Type.Integer({ description: 'How many events the grouped message stands for.' }),
        events: Type.Array(Type.Object({ title: Type.String(), created_at: DateTime }), {
          description: `The first ${INBOX_GROUP_EVENTS} members, oldest first.`,
        }),
      },
      { description: 'Herald (issue 19): present on a grouped message; the inbox shows it as one item that expands.' },
    ),
  ),
});
export type InboxNotification = Static<typeof InboxNotification>;

export const InboxPage = Type.Object({
  notifications: Type.Array(InboxNotification),
  unread_count: Type.Integer({ description: 'Unread rows neither archived nor snoozed.' }),
});
export type InboxPage = Static<typeof InboxPage>;
export const InboxChange = Type.Object({ notification: InboxNotification, unread_count: Type.Integer() });
export type InboxChange = Static<typeof InboxChange>;
/** The reference's name for the read-status answer. */
export const ReadStatusResponse = InboxChange;
export type ReadStatusResponse = InboxChange;

export const ReadStatusBody = Type.Object({ is_read: Type.Boolean({ description: 'false marks it unread.' }) });
export const ArchiveBody = Type.Object({
  archived: Type.Optional(Type.Boolean({ description: 'true (default) archives, false puts it back in the inbox.' })),
});
export const SnoozeBody = Type.Object({
  until: Type.Union([DateTime, Type.Null()], { description: 'A future time, at most a year ahead; null wakes it now.' }),
});
export type SnoozeBody = Static<typeof SnoozeBody>;
export const InboxIdParam = Type.Object({ id: Type.String({ maxLength: 64 }) });

const STATE = (what: string) =>
  Type.Optional(Type.String({ description: `Herald: false (default) leaves ${what} rows out, true lists only them, all lists both.` }));

export const INBOX_FILTER_QUERY = {
  targets: Type.Optional(Type.String({ description: 'Comma-separated target UUIDs; a row must have every one.' })),
  templates: Type.Optional(Type.String({ description: 'Comma-separated template UUIDs; a row must have one of them.' })),
  read_status: Type.Optional(Type.String({ description: 'all (default), read or unread' })),
  kinds: Type.Optional(Type.String({ description: `Herald: comma-separated kinds (${INBOX_KINDS.join(', ')}); a row must be one of them.` })),
  archived: STATE('archived'),
  snoozed: STATE('currently snoozed'),
};

export const InboxListQuery = Type.Object({
  ...INBOX_FILTER_QUERY,
  starting_before: Type.Optional(Type.String({ description: 'Id of the last row of the previous page.' })),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Herald: words that must all appear in the title or content (case-insensitive).' })),
});

export type InboxListQuery = Static<typeof InboxListQuery>;

export const InboxWatchQuery = Type.Object({
  ...INBOX_FILTER_QUERY,
  format: Type.Optional(Type.String({ description: 'markdown (default) or plaintext' })),
  [WATCH_TOKEN_PARAM]: Type.Optional(Type.String({ description: 'The session token, for clients that cannot set headers on a WebSocket.' })),
  updates: Type.Optional(
    Type.String({
      description:
        'Herald: true also sends the user’s changes (read, unread, archive, snooze: event "updated"; mark all read: event "read_all").',
    }),
  ),
});
export type InboxWatchQuery = Static<typeof InboxWatchQuery>;

/** One text frame of the watch. `event` is Herald's: new, due (a snooze ran out), updated, read_all (no notification). */
export const InboxWatchFrame = Type.Object(
  {
  notification: Type.Optional(InboxNotification),
  unread_count: Type.Integer(),
  event: Type.Union([Type.Literal('new'), Type.Literal('due'), Type.Literal('updated'), Type.Literal('read_all')]),
  },
  { description: 'Switching Protocols: a WebSocket; each text frame is one JSON InboxWatchFrame.' },
);
export type InboxWatchFrame = Static<typeof InboxWatchFrame>;

export const INBOX_WATCH_DESCRIPTION =
  'A WebSocket (send `Connection: Upgrade`, `Upgrade: websocket`): the server sends one JSON text frame ' +
  '`{notification, unread_count, event}` for each new inbox row that matches the filters (and, with `updates=true`, ' +
  'for the user\'s own read/archive/snooze changes); clients send nothing. ' +
  'Bad filters answer 400 before the upgrade, a cookie-authenticated request from another origin 403, and a request without the upgrade 426.';

export const inboxEndpoints = {
  'GET /notifications/inbox': { querystring: InboxListQuery, response: { 200: InboxPage } },
  'PUT /notifications/inbox/{id}/read-status': { params: InboxIdParam, body: ReadStatusBody, response: { 200: InboxChange } },
  'PUT /notifications/inbox/{id}/archive': { params: InboxIdParam, body: ArchiveBody, response: { 200: InboxChange } },
  'PUT /notifications/inbox/{id}/snooze': { params: InboxIdParam, body: SnoozeBody, response: { 200: InboxChange } },
  'PUT /notifications/inbox/mark-all-as-read': { response: { 204: NoContent } },
  'GET /notifications/inbox/watch': { querystring: InboxWatchQuery, response: { 101: InboxWatchFrame, ...errors(400, 401, 403, 426) } },
} as const;
