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
 * nothing (exactly once). The rows actually inserted are announced on INBOX_CHANNEL by the same
 * statement (as announceBatch would: one NOTIFY per group of `[user_id, id]` pairs, a row too large
 * for a payload of its own alone by id), so the insert and its announcement commit together without
 * a transaction of their own: one round trip instead of BEGIN, INSERT, NOTIFY, COMMIT.
 */
export async function insertInboxRows(q: Queryable, all: NewInboxRow[]): Promise<InboxRow[]> {
  // An id twice would be inserted once but joined (and announced) twice below.
  const seen = new Set<string>();
  const rows = all.filter((x) => !seen.has(x.id) && !!seen.add(x.id));
  if (!rows.length) return [];
  const r = await q.query<InboxRow>(
    `WITH x AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[])
         WITH ORDINALITY AS x(id, user_id, template_id, targets, title, content, actions, group_info, grp, ord)
     ), ins AS (
       INSERT INTO inbox_notifications (id, user_id, template_id, targets, title, content, icon, actions, group_info)
       SELECT x.id, x.user_id, x.template_id,
              CASE WHEN x.targets = '' THEN NULL ELSE string_to_array(x.targets, ',')::uuid[] END,
              x.title, x.content, '', x.actions::jsonb, NULLIF(x.group_info, '')::jsonb
       FROM x
       ON CONFLICT (id) DO NOTHING
       RETURNING *
     ), sent AS (
       SELECT count(pg_notify('${INBOX_CHANNEL}', g.p)) AS n
       FROM (SELECT CASE WHEN min(x.grp) < 0
                      THEN json_build_object('kind', 'new', 'user_id', min(ins.user_id::text), 'id', min(ins.id::text))::text
                      ELSE '{"kind":"new","rows":[' || string_agg('["' || ins.user_id || '","' || ins.id || '"]', ',' ORDER BY x.ord) || ']}'
                    END AS p
             FROM ins JOIN x ON x.id = ins.id
             GROUP BY x.grp
             ORDER BY min(x.ord)
             OFFSET 0) g
     )
     SELECT ins.* FROM ins CROSS JOIN sent`,
    [
      rows.map((x) => x.id),
      rows.map((x) => x.user_id),
      rows.map((x) => x.template_id),
      rows.map((x) => (x.targets ?? []).join(',')),
      rows.map((x) => x.title),
      rows.map((x) => x.content),
      rows.map((x) => JSON.stringify(x.actions ?? [])),
      rows.map((x) => (x.group ? JSON.stringify(x.group) : '')),
      announceGroups(rows),
    ],
    // Prepared once: on the embedded engine, parsing and planning it each time cost more than running it.
    { name: 'herald_inbox_insert' },
  );
  return r.rows;
}

/**
 * The NOTIFY each new row goes in, in row order: runs of rows whose `[user_id, id]` pairs fit one
 * payload share a group (>= 0); a row whose full event would not fit a payload (the rule of
 * announceBatch) has a group of its own (< 0) and is announced by id. Rows the insert skips only
 * make a payload smaller.
 */
function announceGroups(rows: NewInboxRow[]): number[] {
  const head = '{"kind":"new","rows":['.length + 2;
  const created = new Date();
  let grp = 0;
  let size = head;
  let open = false;
  return rows.map((x, i) => {
    const n = toInboxNotification({ ...x, icon: '', read_at: null, created_at: created, archived_at: null, snoozed_until: null, group_info: x.group ?? null });
    if (Buffer.byteLength(JSON.stringify({ kind: 'new', user_id: x.user_id, id: x.id, inbox_notification: n } satisfies InboxEvent)) > MAX_EVENT_BYTES) {
      if (open) grp++;
      open = false;
      size = head;
      return -(i + 1);
    }
    const part = JSON.stringify([x.user_id, x.id]).length + 1;
    if (open && size + part > MAX_EVENT_BYTES) {
      grp++;
      size = head;
    }
    open = true;
    size += part;
    return grp;
  });
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
