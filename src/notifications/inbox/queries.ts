import type { Queryable } from '../../db/database.js';
import {
  TEMPLATE_TEMPLATE_DELETED,
  TEMPLATE_TEMPLATE_DEPRECATED,
  TEMPLATE_USER_ACCOUNT_ACTIVATED,
  TEMPLATE_USER_ACCOUNT_CREATED,
  TEMPLATE_USER_ACCOUNT_DELETED,
  TEMPLATE_USER_ACCOUNT_SUSPENDED,
  TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
  TEMPLATE_WORKSPACE_AUTOBUILD_FAILED,
  TEMPLATE_WORKSPACE_AUTO_UPDATED,
  TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT,
  TEMPLATE_WORKSPACE_CREATED,
  TEMPLATE_WORKSPACE_DELETED,
  TEMPLATE_WORKSPACE_DORMANT,
  TEMPLATE_WORKSPACE_MANUALLY_UPDATED,
  TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED,
  TEMPLATE_WORKSPACE_MARKED_FOR_DELETION,
  TEMPLATE_WORKSPACE_OUT_OF_DISK,
  TEMPLATE_WORKSPACE_OUT_OF_MEMORY,
  TEMPLATE_YOUR_ACCOUNT_ACTIVATED,
  TEMPLATE_YOUR_ACCOUNT_SUSPENDED,
} from '../templates/catalogue.js';
import { markdownToPlaintext } from '../render/markdown.js';
import { CATALOGUE } from '../templates/catalogue.js';
import {
  announceInbox,
  announceReadAll,
  kindOfTemplate,
  toInboxNotification,
  type InboxKind,
  type InboxNotification,
  type InboxRow,
} from './store.js';

/** Fallback icons the dashboard maps to its own glyphs (values as the reference's API returns them). */
export const DEFAULT_ICON_WORKSPACE = 'DEFAULT_ICON_WORKSPACE';
export const DEFAULT_ICON_ACCOUNT = 'DEFAULT_ICON_ACCOUNT';
export const DEFAULT_ICON_TEMPLATE = 'DEFAULT_ICON_TEMPLATE';
export const DEFAULT_ICON_OTHER = 'DEFAULT_ICON_OTHER';

/** Inbox listings are pages of this many rows. */
export const INBOX_PAGE_SIZE = 25;

const FALLBACK_ICONS: ReadonlyMap<string, string> = new Map([
  ...[
    TEMPLATE_WORKSPACE_CREATED,
    TEMPLATE_WORKSPACE_MANUALLY_UPDATED,
    TEMPLATE_WORKSPACE_DELETED,
    TEMPLATE_WORKSPACE_AUTOBUILD_FAILED,
    TEMPLATE_WORKSPACE_DORMANT,
    TEMPLATE_WORKSPACE_AUTO_UPDATED,
    TEMPLATE_WORKSPACE_MARKED_FOR_DELETION,
    TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED,
    TEMPLATE_WORKSPACE_OUT_OF_MEMORY,
    TEMPLATE_WORKSPACE_OUT_OF_DISK,
  ].map((id) => [id, DEFAULT_ICON_WORKSPACE] as const),
  ...[
    TEMPLATE_USER_ACCOUNT_CREATED,
    TEMPLATE_USER_ACCOUNT_DELETED,
    TEMPLATE_USER_ACCOUNT_SUSPENDED,
    TEMPLATE_USER_ACCOUNT_ACTIVATED,
    TEMPLATE_YOUR_ACCOUNT_SUSPENDED,
    TEMPLATE_YOUR_ACCOUNT_ACTIVATED,
    TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
  ].map((id) => [id, DEFAULT_ICON_ACCOUNT] as const),
  ...[TEMPLATE_TEMPLATE_DELETED, TEMPLATE_TEMPLATE_DEPRECATED, TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT].map(
    (id) => [id, DEFAULT_ICON_TEMPLATE] as const,
  ),
]);

/** Fills an empty icon from the template, as the reference does when reading. */
export function withIcon(n: InboxNotification): InboxNotification {
  if (n.icon) return n;
  return { ...n, icon: FALLBACK_ICONS.get(n.template_id) ?? DEFAULT_ICON_OTHER };
}

export type ReadStatus = 'all' | 'read' | 'unread';
export type InboxFormat = 'markdown' | 'plaintext';
/** Herald's state filters: `false` (default) leaves archived / currently snoozed rows out, `true` keeps only them. */
export type StateFilter = 'true' | 'false' | 'all';

export interface InboxFilter {
  /** Every one of these must be among the row's targets. */
  targets: string[];
  /** The row's template must be one of these (none: any). */
  templates: string[];
  readStatus: ReadStatus;
  /** Herald: the row's kind must be one of these (none: any). */
  kinds?: InboxKind[];
  /** Herald: archived rows (default 'false': not archived). */
  archived?: StateFilter;
  /** Herald: rows snoozed until a future time (default 'false': not snoozed). */
  snoozed?: StateFilter;
  /** Herald (list only): words that must appear in the title or content, case-insensitive. */
  search?: string;
}

/** The API shape of a stored row, icon filled, optionally converted to plain text. */
export function presentInbox(n: InboxNotification, format: InboxFormat = 'markdown'): InboxNotification {
  const out = withIcon(n);
  if (format !== 'plaintext') return out;
  return { ...out, title: markdownToPlaintext(out.title), content: markdownToPlaintext(out.content) };
}

/** The filters that do not depend on a row's state (what it is about, not what the user did with it). */
export function matchesSubject(n: InboxNotification, f: InboxFilter): boolean {
  if (f.targets.length && !f.targets.every((t) => n.targets.includes(t))) return false;
  if (f.templates.length && !f.templates.includes(n.template_id)) return false;
  if (f.kinds?.length && !f.kinds.includes(n.kind ?? kindOfTemplate(n.template_id))) return false;
  return true;
}

/** In-memory version of the listing filter, for live events. */
export function matchesFilter(n: InboxNotification, f: InboxFilter, now: Date = new Date()): boolean {
  if (!matchesSubject(n, f)) return false;
  if (f.readStatus === 'read' && n.read_at === null) return false;
  if (f.readStatus === 'unread' && n.read_at !== null) return false;
  const archived = !!n.archived_at;
  if ((f.archived ?? 'false') !== 'all' && archived !== (f.archived === 'true')) return false;
  const snoozed = !!n.snoozed_until && new Date(n.snoozed_until) > now;
  if ((f.snoozed ?? 'false') !== 'all' && snoozed !== (f.snoozed === 'true')) return false;
  return true;
}

/** Template ids of these kinds ('other': none of the built-ins). */
function kindTemplates(kinds: InboxKind[]): { ids: string[]; other: boolean } {
  return { ids: CATALOGUE.filter((c) => kinds.includes(kindOfTemplate(c.id))).map((c) => c.id), other: kinds.includes('other') };
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of a user's inbox, newest first. The cursor is the (created_at, id) of the
 * `startingBefore` row, so rows written in one transaction (same created_at) are never skipped
 * between pages; an unknown cursor starts at the newest row, as the reference does.
 */
export async function listInbox(
  q: Queryable,
  userId: string,
  f: InboxFilter & { startingBefore?: string; limit?: number; now?: Date },
): Promise<InboxNotification[]> {
  const kinds = f.kinds?.length ? kindTemplates(f.kinds) : undefined;
  const words = (f.search ?? '').split(/\s+/).filter(Boolean).slice(0, 8).map((w) => `%${likeEscape(w)}%`);
  const r = await q.query<InboxRow>(
    `SELECT n.* FROM inbox_notifications n
     WHERE n.user_id = $1
       AND (cardinality($2::uuid[]) = 0 OR n.template_id = ANY($2::uuid[]))
       AND (cardinality($3::uuid[]) = 0 OR n.targets @> $3::uuid[])
       AND (CASE $4::text WHEN 'read' THEN n.read_at IS NOT NULL WHEN 'unread' THEN n.read_at IS NULL ELSE true END)
       AND (
         $5::uuid IS NULL
         OR NOT EXISTS (SELECT 1 FROM inbox_notifications c WHERE c.id = $5::uuid AND c.user_id = $1)
         OR (n.created_at, n.id) < ((SELECT c.created_at FROM inbox_notifications c WHERE c.id = $5::uuid), $5::uuid)
       )
       AND ($7::text = 'all' OR ($7::text = 'true') = (n.archived_at IS NOT NULL))
       AND ($8::text = 'all' OR ($8::text = 'true') = COALESCE(n.snoozed_until > $9::timestamptz, false))
       AND (NOT $10::boolean OR n.template_id = ANY($11::uuid[]) OR ($12::boolean AND n.template_id <> ALL($13::uuid[])))
       AND NOT EXISTS (SELECT 1 FROM unnest($14::text[]) AS w(p) WHERE NOT (n.title ILIKE w.p OR n.content ILIKE w.p))
     ORDER BY n.created_at DESC, n.id DESC
     LIMIT $6`,
    [
      userId,
      f.templates,
      f.targets,
      f.readStatus,
      f.startingBefore ?? null,
      f.limit ?? INBOX_PAGE_SIZE,
      f.archived ?? 'false',
      f.snoozed ?? 'false',
      f.now ?? new Date(),
      !!kinds,
      kinds?.ids ?? [],
      kinds?.other ?? false,
      CATALOGUE.map((c) => c.id),
      words,
    ],
  );
  return r.rows.map((row) => withIcon(toInboxNotification(row)));
}

/** Unread rows the user sees in the inbox: neither archived nor snoozed (the bell's badge). */
export async function countUnread(q: Queryable, userId: string, now: Date = new Date()): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM inbox_notifications
     WHERE user_id = $1 AND read_at IS NULL AND archived_at IS NULL AND (snoozed_until IS NULL OR snoozed_until <= $2)`,
    [userId, now],
  );
  return r.rows[0].n;
}

export async function getInboxRow(q: Queryable, id: string): Promise<InboxNotification | undefined> {
  const r = await q.query<InboxRow>(`SELECT * FROM inbox_notifications WHERE id = $1`, [id]);
  return r.rows[0] ? toInboxNotification(r.rows[0]) : undefined;
}

/** Applies a state change to one of the user's rows and announces it; undefined when the user has no such row. */
async function updateOwnRow(q: Queryable, userId: string, id: string, set: string, params: unknown[]): Promise<InboxNotification | undefined> {
  const r = await q.query<InboxRow>(`UPDATE inbox_notifications SET ${set} WHERE id = $1 AND user_id = $2 RETURNING *`, [id, userId, ...params]);
  if (!r.rows[0]) return undefined;
  await announceInbox(q, 'update', r.rows);
  return withIcon(toInboxNotification(r.rows[0]));
}

/** Marks one of the user's rows read (now) or unread. */
export function setReadStatus(q: Queryable, userId: string, id: string, isRead: boolean, now: Date = new Date()): Promise<InboxNotification | undefined> {
  return updateOwnRow(q, userId, id, `read_at = CASE WHEN $3::boolean THEN $4::timestamptz ELSE NULL END`, [isRead, now]);
}

/** Archives (now) or un-archives one of the user's rows. */
export function setArchived(q: Queryable, userId: string, id: string, archived: boolean, now: Date = new Date()): Promise<InboxNotification | undefined> {
  return updateOwnRow(q, userId, id, `archived_at = CASE WHEN $3::boolean THEN COALESCE(archived_at, $4::timestamptz) ELSE NULL END`, [archived, now]);
}

/** Snoozes one of the user's rows until a time, or (null) wakes it now. */
export function setSnoozedUntil(q: Queryable, userId: string, id: string, until: Date | null): Promise<InboxNotification | undefined> {
  return updateOwnRow(q, userId, id, `snoozed_until = $3::timestamptz`, [until]);
}

export async function markAllRead(q: Queryable, userId: string, now: Date = new Date()): Promise<number> {
  const r = await q.query(`UPDATE inbox_notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL`, [userId, now]);
  if (r.rowCount) await announceReadAll(q, userId);
  return r.rowCount;
}

/**
 * Brings back rows whose snooze ran out (unread, so the bell shows them) and announces each as
 * `due`. Every replica runs this; a row is claimed by exactly one (the UPDATE locks it, others
 * skip it), so each comes back with one announcement.
 */
export async function releaseDueSnoozes(q: Queryable, now: Date, limit = 500): Promise<InboxRow[]> {
  const r = await q.query<InboxRow>(
    `UPDATE inbox_notifications SET snoozed_until = NULL, read_at = NULL
     WHERE id IN (SELECT id FROM inbox_notifications WHERE snoozed_until <= $1
                  ORDER BY snoozed_until LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [now, limit],
  );
  await announceInbox(q, 'due', r.rows);
  return r.rows;
}

/** When the next snoozed row is due, if any. */
export async function nextSnoozeDue(q: Queryable): Promise<Date | undefined> {
  const r = await q.query<{ at: Date | null }>(`SELECT min(snoozed_until) AS at FROM inbox_notifications WHERE snoozed_until IS NOT NULL`);
  return r.rows[0]?.at ? new Date(r.rows[0].at) : undefined;
}

/**
 * Of these API keys, the ones that no longer authenticate (deleted, expired, user suspended or
 * deleted). The answer is usually empty, so checking thousands of open watches costs one small reply.
 */
export async function deadKeyIds(q: Queryable, keyIds: string[]): Promise<Set<string>> {
  const r = await q.query<{ id: string }>(
    `SELECT x.id FROM unnest($1::text[]) AS x(id)
     WHERE NOT EXISTS (SELECT 1 FROM api_keys k JOIN users u ON u.id = k.user_id
                       WHERE k.id = x.id AND k.expires_at > now() AND u.status <> 'suspended' AND NOT u.deleted)`,
    [keyIds],
  );
  return new Set(r.rows.map((x) => x.id));
}

/**
 * The inbox rows of a batch announcement that a replica's watchers need, each with its user's
 * unread count: one query for the whole batch. The count is taken once per user, not per row: a
 * batch is mostly one user's rows, and each count reads all that user's unread rows.
 */
export async function inboxRowsWithUnread(q: Queryable, ids: string[], now: Date): Promise<{ row: InboxNotification; unread: number }[]> {
  const r = await q.query<InboxRow & { unread_count: number }>(
    `WITH r AS (SELECT * FROM inbox_notifications WHERE id = ANY($1::uuid[])),
     c AS MATERIALIZED (SELECT u.user_id,
                  (SELECT count(*)::int FROM inbox_notifications x
                   WHERE x.user_id = u.user_id AND x.read_at IS NULL AND x.archived_at IS NULL
                     AND (x.snoozed_until IS NULL OR x.snoozed_until <= $2)) AS unread_count
           FROM (SELECT DISTINCT user_id FROM r) u)
     SELECT r.*, c.unread_count FROM r JOIN c ON c.user_id = r.user_id`,
    [ids, now],
    { name: 'herald_inbox_rows_with_unread' },
  );
  return r.rows.map((x) => ({ row: toInboxNotification(x), unread: x.unread_count }));
}

