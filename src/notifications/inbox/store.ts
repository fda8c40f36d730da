import type { Queryable } from '../../db/database.js';
import type { Action } from '../types.js';
import type { InboxNotification } from '../../contract/inbox.js';

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
}

/** The API's InboxNotification (declared in the contract). */
export type { InboxNotification };

export interface InboxEvent {
  kind: 'new';
  user_id: string;
  id: string;
  /** Present when it fits in a NOTIFY payload; otherwise watchers load the row by id. */
  inbox_notification?: InboxNotification;
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
    `INSERT INTO inbox_notifications (id, user_id, template_id, targets, title, content, icon, actions)
     SELECT x.id, x.user_id, x.template_id,
            CASE WHEN x.targets = '' THEN NULL ELSE string_to_array(x.targets, ',')::uuid[] END,
            x.title, x.content, '', x.actions::jsonb
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
          AS x(id, user_id, template_id, targets, title, content, actions)
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
    ],
  );
  if (r.rows.length) {
    const payloads = r.rows.map((row) => {
      const n = toInboxNotification(row);
      const full = JSON.stringify({ kind: 'new', user_id: row.user_id, id: row.id, inbox_notification: n } satisfies InboxEvent);
      return Buffer.byteLength(full) <= MAX_EVENT_BYTES
        ? full
        : JSON.stringify({ kind: 'new', user_id: row.user_id, id: row.id } satisfies InboxEvent);
    });
    await q.query(`SELECT pg_notify('${INBOX_CHANNEL}', p) FROM unnest($1::text[]) AS p`, [payloads]);
  }
  return r.rows;
}
