import type { Queryable } from '../db/database.js';
import { MESSAGE_LOCK_CLASS } from './dispatch/queries.js';
import type { DeliveryMessage } from '../contract/notifications.js';

export interface MessageFilter {
  status?: string;
  method?: string;
  templateId?: string;
  userId?: string;
  limit: number;
  offset: number;
}

export interface MessageHistoryRow {
  id: string;
  notification_template_id: string;
  template_name: string;
  user_id: string;
  username: string;
  method: string;
  status: string;
  status_reason: string | null;
  attempt_count: number;
  created_by: string;
  created_at: Date;
  updated_at: Date | null;
  next_retry_after: Date | null;
  leased_until: Date | null;
  targets: string[] | null;
  /** Issue 19: the group the event opened or was held in; the group this message carries; the message that carried it. */
  group_id: string | null;
  carries_group: string | null;
  carried_by: string | null;
}

// A message being delivered is held by a dispatcher's advisory lock, not marked in its row
// (src/notifications/dispatch/lease.ts): show it as `leased`, as the reference does.
const HELD = `WITH held AS MATERIALIZED (
  SELECT objid FROM pg_locks
  WHERE locktype = 'advisory' AND classid = ${MESSAGE_LOCK_CLASS}::bigint::oid AND objsubid = 2 AND granted)`;
const STATUS = `(CASE WHEN nm.status = 'pending' AND EXISTS (
    SELECT 1 FROM held WHERE held.objid = (hashtext(nm.id::text)::bigint & 4294967295)::oid)
  THEN 'leased' ELSE nm.status::text END)`;

/** Delivery history for owners: newest first, filtered, with the total for paging. */
export async function listMessages(q: Queryable, f: MessageFilter): Promise<{ rows: MessageHistoryRow[]; count: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status) add(`${STATUS} = ?`, f.status);
  if (f.method) add('nm.method = ?::notification_method', f.method);
  if (f.templateId) add('nm.notification_template_id = ?', f.templateId);
  if (f.userId) add('nm.user_id = ?', f.userId);
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const count = await q.query<{ n: number }>(`${HELD} SELECT count(*)::int AS n FROM notification_messages nm ${w}`, params);
  params.push(f.limit, f.offset);
  const r = await q.query<MessageHistoryRow>(
    `${HELD}
     SELECT nm.id, nm.notification_template_id, nt.name AS template_name, nm.user_id, u.username,
            nm.method, ${STATUS} AS status, nm.status_reason, COALESCE(nm.attempt_count, 0)::int AS attempt_count,
            nm.created_by, nm.created_at, nm.updated_at, nm.next_retry_after, nm.leased_until, nm.targets,
            nm.group_id, nm.carries AS carries_group, CASE WHEN nm.status = 'grouped' THEN ng.message_id END AS carried_by
     FROM notification_messages nm
     LEFT JOIN notification_groups ng ON ng.id = nm.group_id
     JOIN notification_templates nt ON nt.id = nm.notification_template_id
     JOIN users u ON u.id = nm.user_id
     ${w}
     ORDER BY nm.created_at DESC, nm.id
     LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { rows: r.rows, count: count.rows[0].n };
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export const toMessageJson = (m: MessageHistoryRow): DeliveryMessage => ({
  ...m,
  created_at: iso(m.created_at),
  updated_at: iso(m.updated_at),
  next_retry_after: iso(m.next_retry_after),
  leased_until: iso(m.leased_until),
  targets: m.targets ?? [],
});
