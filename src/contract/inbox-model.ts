import { Type, type Static } from '@sinclair/typebox';
import { Uuid } from './common.js';

// The inbox model (issue 18): the reference's InboxNotification plus Herald's additive fields and
// the archive / snooze / filter requests. The reference's fields and their meaning are unchanged.

export const INBOX_KINDS = ['workspace', 'task', 'template', 'user', 'custom', 'test', 'other'] as const;
export const InboxKind = Type.Union(INBOX_KINDS.map((k) => Type.Literal(k)), {
  description: "The template's group as a key: the dashboard's icon and the kind filter.",
});
export type InboxKind = Static<typeof InboxKind>;

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);

export const InboxAction = Type.Object({ label: Type.String(), url: Type.String() });

export const InboxNotification = Type.Object({
  id: Uuid,
  user_id: Uuid,
  template_id: Uuid,
  targets: Type.Array(Uuid),
  title: Type.String({ description: "The template's title, rendered (markdown, or plain text with format=plaintext)." }),
  content: Type.String({ description: 'The rendered body.' }),
  icon: Type.String(),
  actions: Type.Array(InboxAction),
  read_at: NullableDateTime,
  created_at: DateTime,
  archived_at: Type.Union([DateTime, Type.Null()], { description: 'Herald: when it was archived; null: in the inbox.' }),
  snoozed_until: Type.Union([DateTime, Type.Null()], {
    description: 'Herald: hidden until then; null: not snoozed. When due it comes back unread and this is cleared.',
  }),
  kind: InboxKind,
});
export type InboxNotification = Static<typeof InboxNotification>;

export const InboxPage = Type.Object({
  notifications: Type.Array(InboxNotification),
  unread_count: Type.Integer({ description: 'Unread rows neither archived nor snoozed.' }),
});
export const InboxChange = Type.Object({ notification: InboxNotification, unread_count: Type.Integer() });
export type InboxChange = Static<typeof InboxChange>;

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

export const InboxWatchQueryExtra = {
  updates: Type.Optional(
    Type.String({
      description:
        'Herald: true also sends the user’s changes (read, unread, archive, snooze: event "updated"; mark all read: event "read_all").',
    }),
  ),
};

/** One text frame of the watch. `event` is Herald's: new, due (a snooze ran out), updated, read_all (no notification). */
export const InboxWatchFrame = Type.Object({
  notification: Type.Optional(InboxNotification),
  unread_count: Type.Integer(),
  event: Type.Union([Type.Literal('new'), Type.Literal('due'), Type.Literal('updated'), Type.Literal('read_all')]),
});
export type InboxWatchFrame = Static<typeof InboxWatchFrame>;
