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
import { toInboxNotification, type InboxNotification, type InboxRow } from './store.js';

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

export interface InboxFilter {
  /** Every one of these must be among the row's targets. */
  targets: string[];
  /** The row's template must be one of these (none: any). */
  templates: string[];
  readStatus: ReadStatus;
}

/** The API shape of a stored row, icon filled, optionally converted to plain text. */
export function presentInbox(n: InboxNotification, format: InboxFormat = 'markdown'): InboxNotification {
  const out = withIcon(n);
  if (format !== 'plaintext') return out;
  return { ...out, title: markdownToPlaintext(out.title), content: markdownToPlaintext(out.content) };
}

/** In-memory version of the listing filter, for live events. */
export function matchesFilter(n: InboxNotification, f: InboxFilter): boolean {
  if (f.targets.length && !f.targets.every((t) => n.targets.includes(t))) return false;
  if (f.templates.length && !f.templates.includes(n.template_id)) return false;
  if (f.readStatus === 'read' && n.read_at === null) return false;
  if (f.readStatus === 'unread' && n.read_at !== null) return false;
  return true;
}

/**
 * One page of a user's inbox, newest first. The cursor is the (created_at, id) of the
 * `startingBefore` row, so rows written in one transaction (same created_at) are never skipped
 * between pages; an unknown cursor starts at the newest row, as the reference does.
 */
export async function listInbox(
  q: Queryable,
  userId: string,
  f: InboxFilter & { startingBefore?: string; limit?: number },
): Promise<InboxNotification[]> {
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
     ORDER BY n.created_at DESC, n.id DESC
     LIMIT $6`,
    [userId, f.templates, f.targets, f.readStatus, f.startingBefore ?? null, f.limit ?? INBOX_PAGE_SIZE],
  );
  return r.rows.map((row) => withIcon(toInboxNotification(row)));
}

export async function countUnread(q: Queryable, userId: string): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM inbox_notifications WHERE user_id = $1 AND read_at IS NULL`,
    [userId],
  );
  return r.rows[0].n;
}

export async function getInboxRow(q: Queryable, id: string): Promise<InboxNotification | undefined> {
  const r = await q.query<InboxRow>(`SELECT * FROM inbox_notifications WHERE id = $1`, [id]);
  return r.rows[0] ? toInboxNotification(r.rows[0]) : undefined;
}

/** Marks one of the user's rows read (now) or unread; undefined when the user has no such row. */
export async function setReadStatus(q: Queryable, userId: string, id: string, isRead: boolean): Promise<InboxNotification | undefined> {
  const r = await q.query<InboxRow>(
    `UPDATE inbox_notifications SET read_at = CASE WHEN $3::boolean THEN now() ELSE NULL END
     WHERE id = $1 AND user_id = $2 RETURNING *`,
    [id, userId, isRead],
  );
  return r.rows[0] ? withIcon(toInboxNotification(r.rows[0])) : undefined;
}

export async function markAllRead(q: Queryable, userId: string): Promise<number> {
  const r = await q.query(`UPDATE inbox_notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL`, [userId]);
  return r.rowCount;
}

/** Of these API key ids, those still valid: not expired, not deleted, their user neither suspended nor deleted. */
export async function liveKeyIds(q: Queryable, keyIds: string[]): Promise<Set<string>> {
  const r = await q.query<{ id: string }>(
    `SELECT k.id FROM api_keys k JOIN users u ON u.id = k.user_id
     WHERE k.id = ANY($1::text[]) AND k.expires_at > now() AND u.status <> 'suspended' AND NOT u.deleted`,
    [keyIds],
  );
  return new Set(r.rows.map((x) => x.id));
}
