import type { Queryable } from '../../db/database.js';
import type { Action } from '../types.js';
import { INBOX_GROUP_EVENTS, type InboxKind, type InboxNotification } from '../../contract/inbox.js';
import { catalogueEntry, type TemplateGroup } from '../templates/catalogue.js';

/** NOTIFY channel for new inbox rows; the payload is an InboxEvent. */
export const INBOX_CHANNEL = 'herald_inbox';

export interface InboxRow {
  id: string;
  user_id: string;
  template_id: string;
  targets: string[] | null;
  title: string;
  content: string;
  icon: string;
  actions: Action[];
  read_at: Date | null;
  created_at: Date;
  archived_at: Date | null;
  snoozed_until: Date | null;
  /** Herald (issue 19): the members of a grouped message. */
  group_info?: InboxGroup | null;
}
export type InboxGroup = NonNullable<InboxNotification['group']>;

/** The inbox's view of a grouped message's `data.group` (see notifications/grouping): count and the first members. */
export function inboxGroupOf(data: Record<string, unknown> | null | undefined): InboxGroup | null {
  const g = data?.group as { count?: unknown; events?: unknown } | undefined;
  if (!g || typeof g.count !== 'number' || !Array.isArray(g.events)) return null;
  const events = (g.events as { title?: unknown; name?: unknown; created_at?: unknown }[])
    .slice(0, INBOX_GROUP_EVENTS)
    .map((e) => ({ title: String(e.title ?? e.name ?? ''), created_at: String(e.created_at ?? '') }));
  return { count: g.count, events };
}

/** What a notification is about, from its template's group: the dashboard's icon and kind filter. */
export type { InboxKind, InboxNotification };
export const INBOX_KINDS: readonly InboxKind[] = ['workspace', 'task', 'template', 'user', 'custom', 'test', 'other'];
const KIND_OF_GROUP: Record<TemplateGroup, InboxKind> = {
  'Workspace Events': 'workspace',
  'Task Events': 'task',
  'Template Events': 'template',
  'User Events': 'user',
  'Custom Events': 'custom',
  'Notification Events': 'test',
};
export function kindOfTemplate(templateId: string): InboxKind {
  const e = catalogueEntry(templateId);
  return e ? KIND_OF_GROUP[e.group] : 'other';
}


/**
 * What goes over INBOX_CHANNEL: `new` (a row was written), `update` (read, unread, archived,
 * snoozed by the user), `due` (a snooze ran out and the row is back), `read_all` (mark all read).
 */
export type InboxEventKind = 'new' | 'update' | 'due' | 'read_all';
export interface InboxEvent {
  kind: InboxEventKind;
  user_id: string;
  /** Absent for read_all. */
  id?: string;
  /** Present when it fits in a NOTIFY payload; otherwise watchers load the row by id. */
  inbox_notification?: InboxNotification;
}

/**
 * New and due rows are announced a batch at a time: one NOTIFY for the rows one statement wrote
 * (split only past the payload limit, ~90 rows), each row as `[user_id, id]`; a row too large for a
 * payload of its own is still announced alone, by id (InboxEvent). A replica loads the
 * rows of the users it has watchers for in one query, with their unread counts, and ignores the rest.
 */
export interface InboxBatchEvent {
  kind: 'new' | 'due';
  rows: [user_id: string, id: string][];
}

export function toInboxNotification(r: InboxRow): InboxNotification {
  return {
    id: r.id,
    user_id: r.user_id,
    template_id: r.template_id,
    targets: r.targets ?? [],
    title: r.title,
    content: r.content,
    icon: r.icon,
    actions: r.actions ?? [],
    read_at: r.read_at ? new Date(r.read_at).toISOString() : null,
    created_at: new Date(r.created_at).toISOString(),
    archived_at: r.archived_at ? new Date(r.archived_at).toISOString() : null,
    snoozed_until: r.snoozed_until ? new Date(r.snoozed_until).toISOString() : null,
    kind: kindOfTemplate(r.template_id),
    ...(r.group_info ? { group: r.group_info } : {}),
  };
}

export interface NewInboxRow {
  id: string;
  user_id: string;
  template_id: string;
  targets: string[] | null;
  title: string;
  content: string;
  actions: Action[];
  group?: InboxGroup | null;
}

// NOTIFY payloads are limited to 8000 bytes.
const MAX_EVENT_BYTES = 7900;

/**
 * Inserts inbox rows whose id is the message id: a re-delivery after a lease expiry inserts
 * nothing (exactly once). Each new row is announced on INBOX_CHANNEL when the transaction commits.
 */
export async function insertInboxRows(q: Queryable, rows: NewInboxRow[]): Promise<InboxRow[]> {
  if (!rows.length) return [];
  const r = await q.query<InboxRow>(
    `INSERT INTO inbox_notifications (id, user_id, template_id, targets, title, content, icon, actions, group_info)
     SELECT x.id, x.user_id, x.template_id,
            CASE WHEN x.targets = '' THEN NULL ELSE string_to_array(x.targets, ',')::uuid[] END,
            x.title, x.content, '', x.actions::jsonb, NULLIF(x.group_info, '')::jsonb
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
          AS x(id, user_id, template_id, targets, title, content, actions, group_info)
     ON CONFLICT (id) DO NOTHING
     RETURNING *`,
    [
      rows.map((x) => x.id),
      rows.map((x) => x.user_id),
      rows.map((x) => x.template_id),
      rows.map((x) => (x.targets ?? []).join(',')),
      rows.map((x) => x.title),
      rows.map((x) => x.content),
      rows.map((x) => JSON.stringify(x.actions ?? [])),
      rows.map((x) => (x.group ? JSON.stringify(x.group) : '')),
    ],
  );
  await announceInbox(q, 'new', r.rows);
  return r.rows;
}

/**
 * NOTIFYs every replica's watch hub of these rows (delivered when the caller's transaction
 * commits). A row too large for a NOTIFY payload is announced by id and loaded by the hub.
 */
export async function announceInbox(q: Queryable, kind: Exclude<InboxEventKind, 'read_all'>, rows: InboxRow[]): Promise<void> {
  if (!rows.length) return;
  if (kind !== 'update') return announceBatch(q, kind, rows);
  const payloads = rows.map((row) => {
    const n = toInboxNotification(row);
    const full = JSON.stringify({ kind, user_id: row.user_id, id: row.id, inbox_notification: n } satisfies InboxEvent);
    return Buffer.byteLength(full) <= MAX_EVENT_BYTES ? full : JSON.stringify({ kind, user_id: row.user_id, id: row.id } satisfies InboxEvent);
  });
  await q.query(`SELECT pg_notify('${INBOX_CHANNEL}', p) FROM unnest($1::text[]) AS p`, [payloads]);
}

/** Batch payloads of `[user_id, id]` pairs, each under the NOTIFY limit. */
export function batchPayloads(kind: InboxBatchEvent['kind'], rows: { user_id: string; id: string }[]): string[] {
  const head = `{"kind":"${kind}","rows":[`;
  const out: string[] = [];
  let parts: string[] = [];
  let size = head.length + 2;
  for (const r of rows) {
    const part = JSON.stringify([r.user_id, r.id]);
    if (parts.length && size + part.length + 1 > MAX_EVENT_BYTES) {
      out.push(head + parts.join(',') + ']}');
      parts = [];
      size = head.length + 2;
    }
    parts.push(part);
    size += part.length + 1;
  }
  if (parts.length) out.push(head + parts.join(',') + ']}');
  return out;
}

async function announceBatch(q: Queryable, kind: InboxBatchEvent['kind'], rows: InboxRow[]): Promise<void> {
  // A row too large for a NOTIFY payload of its own keeps its own announcement (by id): each is then
  // loaded and sent on its own, so a burst of them cannot fill a healthy watcher's send buffer in one
  // go and get its frames dropped as if it were not reading.
  // Announced in row order (NOTIFYs of one transaction arrive in the order sent).
  let small: InboxRow[] = [];
  const payloads: string[] = [];
  for (const row of rows) {
    const full = JSON.stringify({ kind, user_id: row.user_id, id: row.id, inbox_notification: toInboxNotification(row) } satisfies InboxEvent);
    if (Buffer.byteLength(full) <= MAX_EVENT_BYTES) {
      small.push(row);
      continue;
    }
    payloads.push(...batchPayloads(kind, small), JSON.stringify({ kind, user_id: row.user_id, id: row.id } satisfies InboxEvent));
    small = [];
  }
  payloads.push(...batchPayloads(kind, small));
  if (payloads.length === 1) await q.query(`SELECT pg_notify('${INBOX_CHANNEL}', $1)`, [payloads[0]]);
  else await q.query(`SELECT pg_notify('${INBOX_CHANNEL}', p) FROM unnest($1::text[]) AS p`, [payloads]);
}

/** NOTIFYs that every one of the user's rows was marked read. */
export async function announceReadAll(q: Queryable, userId: string): Promise<void> {
  await q.query(`SELECT pg_notify('${INBOX_CHANNEL}', $1)`, [JSON.stringify({ kind: 'read_all', user_id: userId } satisfies InboxEvent)]);
}
