import type { Queryable } from '../../db/database.js';
import type { MessagePayload, NotificationMethod } from '../types.js';
import type { Routed } from './rules.js';
import { RECIPIENT_OPTED_OUT } from '../queries.js';

// The enqueue path of events with a rule (issue 19), in one statement so it is atomic without a
// transaction of its own and joins the caller's when given one:
//  - preferences and the daily dedupe apply as on the fast path;
//  - a throttle counts the recipient's messages of the template and channel in its period;
//  - groups are upserted on their open-key unique index: replicas racing to open the same group
//    meet in one row, and the upsert's row lock orders them against a release in progress;
//  - the first event of a newly opened burst group is pending (delivered at once), the rest held.

export interface HeldRow {
  id: string;
  tid: string;
  uid: string;
  method: NotificationMethod;
  payload: MessagePayload;
  targets: string[] | null;
  by: string;
  routed: Routed;
  ord: number;
}

export const GROUPS_CHANGED = 'groups';

export function holdStatement(channel: string): string {
  return `WITH m AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS m(id uuid, tid uuid, uid uuid, method notification_method, payload jsonb,
      targets uuid[], by text, kind text, family text, key text, due timestamptz, maxdue timestamptz, reason text,
      imm boolean, tcount int, tperiod int, ord int)
  ), ok AS (
    SELECT m.*, notification_message_dedupe_hash(m.tid, m.uid, m.method, m.payload, m.targets, $2) AS hash
    FROM m
    WHERE NOT ${RECIPIENT_OPTED_OUT}
  ), fresh AS (
    SELECT ok.*,
      row_number() OVER (PARTITION BY ok.uid, ok.method, ok.kind, ok.family, ok.key ORDER BY ok.ord) AS rk,
      max(ok.due) OVER (PARTITION BY ok.uid, ok.method, ok.kind, ok.family, ok.key) AS lastdue,
      row_number() OVER (PARTITION BY ok.uid, ok.tid, ok.method ORDER BY ok.ord) AS trk
    FROM ok
    -- The hash covers the UTC day (0022): only that day's partition can hold it (0160).
    WHERE NOT EXISTS (SELECT 1 FROM notification_messages x WHERE x.dedupe_hash = ok.hash
      AND x.created_at >= date_trunc('day', $2::timestamptz, 'UTC') AND x.created_at < date_trunc('day', $2::timestamptz, 'UTC') + interval '24 hours')
  ), c AS (
    SELECT f.*,
      CASE WHEN f.tcount IS NULL THEN false ELSE (
        SELECT count(*) FROM notification_messages x
        WHERE x.user_id = f.uid AND x.notification_template_id = f.tid AND x.method = f.method
          AND x.status NOT IN ('held', 'grouped') AND x.created_at > $2 - make_interval(secs => f.tperiod)
      ) + f.trk > f.tcount END AS throttled
    FROM fresh f
  ), g AS (
    INSERT INTO notification_groups AS g (id, user_id, method, kind, family, key, template_id, reason, opened_at, due_at, max_due_at)
    SELECT DISTINCT ON (c.uid, c.method, c.kind, c.family, c.key)
      gen_random_uuid(), c.uid, c.method, c.kind, c.family, c.key, CASE WHEN c.kind = 'group' THEN c.tid END,
      CASE WHEN c.throttled AND c.reason = 'burst' AND c.rk = 1 THEN 'throttle' ELSE c.reason END, $2, c.lastdue, c.maxdue
    FROM c
    WHERE c.reason <> 'throttle' OR c.throttled
    ORDER BY c.uid, c.method, c.kind, c.family, c.key, c.ord
    ON CONFLICT (user_id, method, kind, family, key) WHERE status = 'open'
    DO UPDATE SET due_at = CASE WHEN g.max_due_at IS NULL THEN g.due_at
                                ELSE LEAST(g.max_due_at, GREATEST(g.due_at, EXCLUDED.due_at)) END
    RETURNING g.id, g.user_id, g.method, g.kind, g.family, g.key, (g.xmax = 0) AS created
  ), placed AS (
    SELECT c.*, g.id AS gid,
      (g.id IS NULL OR (g.created AND c.rk = 1 AND c.imm AND NOT c.throttled)) AS now_
    FROM c
    LEFT JOIN g ON (c.reason <> 'throttle' OR c.throttled)
      AND g.user_id = c.uid AND g.method = c.method AND g.kind = c.kind AND g.family = c.family AND g.key = c.key
  ), ins AS (
    INSERT INTO notification_messages
      (id, notification_template_id, user_id, method, payload, targets, created_by, created_at, dedupe_hash, status, status_reason, group_id)
    SELECT p.id, p.tid, p.uid, p.method, p.payload, p.targets, p.by, $2, p.hash,
      CASE WHEN p.now_ THEN 'pending' ELSE 'held' END::notification_message_status,
      CASE WHEN p.now_ THEN NULL ELSE 'held: ' || CASE WHEN p.throttled THEN 'throttle' ELSE p.reason END END,
      p.gid
    FROM placed p
    ON CONFLICT DO NOTHING
    RETURNING id, status
  )
  SELECT id, status::text AS status, (SELECT pg_notify('${channel}', '${GROUPS_CHANGED}')) AS woke FROM ins`;
}

/** Inserts routed events; resolves the ids inserted with their status (pending or held). */
export async function holdMessages(q: Queryable, channel: string, rows: HeldRow[], createdAt: Date): Promise<Map<string, 'pending' | 'held'>> {
  if (!rows.length) return new Map();
  const doc = rows.map((r) => ({
    id: r.id,
    tid: r.tid,
    uid: r.uid,
    method: r.method,
    payload: r.payload,
    targets: r.targets,
    by: r.by,
    kind: r.routed.kind,
    family: r.routed.family,
    key: r.routed.key,
    due: r.routed.dueAt.toISOString(),
    maxdue: r.routed.maxDueAt?.toISOString() ?? null,
    reason: r.routed.reason,
    imm: r.routed.immediateFirst,
    tcount: r.routed.throttle?.count ?? null,
    tperiod: r.routed.throttle?.periodSeconds ?? null,
    ord: r.ord,
  }));
  const res = await q.query<{ id: string; status: 'pending' | 'held' }>(holdStatement(channel), [JSON.stringify(doc), createdAt], { name: 'herald_enqueue_hold' });
  return new Map(res.rows.map((r) => [r.id, r.status]));
}
