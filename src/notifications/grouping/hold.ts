import type { Queryable } from '../../db/database.js';
import type { MessagePayload, NotificationMethod } from '../types.js';
import type { Routed } from './rules.js';
import { RECIPIENT_OPTED_OUT } from '../queries.js';

// The enqueue path of events with a rule (issue 19), in one statement so it is atomic without a
// transaction of its own and joins the caller's when given one. The first event of a new group is
// written as a pending message by this same statement, with the group row it opens: no round trip
// before it, no wait for a window; it wakes the dispatchers exactly as the fast path does.
//  - preferences and the daily dedupe apply as on the fast path;
//  - an event joins an open burst group or digest under a share lock (no write to the group row,
//    unless a flap guard pushes its end out); else the group is upserted on its open-key unique
//    index: replicas racing to open the same group meet in one row. Both locks order the event
//    against a release in progress (the releaser claims groups FOR UPDATE);
//  - the events that would go out now (the first of a group it opened; any event of a throttle-only
//    template) take their share of the throttle from one counter row per recipient, template and
//    channel (notification_throttles). The upsert locks that row and reads its latest committed
//    count, so racing replicas never send more than the limit; the rest are held in the group (a
//    throttle-only template opens one, due when the throttle's period ends);
//  - NOTIFY: the dispatchers (ENQUEUED_CHANNEL) only when a message is pending; the releasers
//    (GROUPS_CHANNEL, payload = the earliest new due time in ms) only when a group was opened.
//    A storm of held events wakes nobody.

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

/** NOTIFY channel of the group releasers: a group was opened; the payload is its due time (epoch ms). */
export const GROUPS_CHANNEL = 'herald_notification_groups';

// The throttle counters and the throttle-only groups: only in the statement of a batch with a
// throttled event. Each data-modifying CTE is executed, and its relation opened and locked, even
// when no row reaches it.
const THROTTLE_CTES = `  ), ranked AS (
    SELECT c.*, CASE WHEN c.want AND c.tcount IS NOT NULL
      THEN row_number() OVER (PARTITION BY c.uid, c.tid, c.method, c.want AND c.tcount IS NOT NULL ORDER BY c.ord) END AS trk
    FROM cand c
  ), tw AS (
    INSERT INTO notification_throttles AS t (user_id, notification_template_id, method, window_start, period_seconds, max_count, sent, granted)
    SELECT r.uid, r.tid, r.method, $2, max(r.tperiod), max(r.tcount), LEAST(max(r.tcount), count(*)), LEAST(max(r.tcount), count(*))
    FROM ranked r WHERE r.trk IS NOT NULL
    GROUP BY r.uid, r.tid, r.method
    ON CONFLICT (user_id, notification_template_id, method) DO UPDATE SET
      window_start = CASE WHEN t.window_start + make_interval(secs => EXCLUDED.period_seconds) <= EXCLUDED.window_start
                          THEN EXCLUDED.window_start ELSE t.window_start END,
      period_seconds = EXCLUDED.period_seconds,
      max_count = EXCLUDED.max_count,
      granted = GREATEST(0, LEAST(EXCLUDED.sent, EXCLUDED.max_count -
        CASE WHEN t.window_start + make_interval(secs => EXCLUDED.period_seconds) <= EXCLUDED.window_start THEN 0 ELSE t.sent END)),
      sent = CASE WHEN t.window_start + make_interval(secs => EXCLUDED.period_seconds) <= EXCLUDED.window_start THEN 0 ELSE t.sent END
        + GREATEST(0, LEAST(EXCLUDED.sent, EXCLUDED.max_count -
        CASE WHEN t.window_start + make_interval(secs => EXCLUDED.period_seconds) <= EXCLUDED.window_start THEN 0 ELSE t.sent END))
    RETURNING t.user_id, t.notification_template_id, t.method, t.granted, t.window_start + make_interval(secs => t.period_seconds) AS ends
  ), thr AS (
    SELECT r.*, COALESCE(r.trk > tw.granted, false) AS throttled, tw.ends
    FROM ranked r
    LEFT JOIN tw ON r.trk IS NOT NULL AND tw.user_id = r.uid AND tw.notification_template_id = r.tid AND tw.method = r.method
  ), o2 AS (
    SELECT DISTINCT ON (t.uid, t.method, t.kind, t.family, t.key)
      gen_random_uuid() AS nid, t.uid, t.method, t.kind, t.family, t.key, t.tid, t.ends
    FROM thr t
    WHERE t.reason = 'throttle' AND t.throttled
    ORDER BY t.uid, t.method, t.kind, t.family, t.key, t.ord
  ), g2 AS (
    INSERT INTO notification_groups AS g (id, user_id, method, kind, family, key, template_id, reason, opened_at, due_at, max_due_at)
    SELECT o.nid, o.uid, o.method, o.kind, o.family, o.key, o.tid, 'throttle', $2, o.ends, NULL::timestamptz
    FROM o2 o
    ON CONFLICT (user_id, method, kind, family, key) WHERE status = 'open'
    DO UPDATE SET due_at = g.due_at
    RETURNING g.id, g.user_id, g.method, g.kind, g.family, g.key, g.id IN (SELECT nid FROM o2) AS created, g.due_at
  ), placed AS (
    SELECT t.*, COALESCE(t.gid1, g2.id) AS gid, (t.want AND NOT t.throttled) AS now_
    FROM thr t
    LEFT JOIN g2 ON t.reason = 'throttle' AND t.throttled AND g2.user_id = t.uid AND g2.method = t.method AND g2.kind = t.kind AND g2.family = t.family AND g2.key = t.key`;
const UNTHROTTLED = `  ), g2 AS (
    SELECT NULL::timestamptz AS due_at, false AS created WHERE false
  ), placed AS (
    SELECT c.*, c.gid1 AS gid, c.want AS now_, false AS throttled FROM cand c`;

/** The routed events as holdMessages sends them ($1), as rows `m`. */
const HELD_ROWS = `jsonb_to_recordset($1::jsonb) AS m(id uuid, tid uuid, uid uuid, method notification_method, payload jsonb,
      targets uuid[], by text, kind text, family text, key text, due timestamptz, maxdue timestamptz, reason text,
      imm boolean, tcount int, tperiod int, ord int)`;

/** The rest of a look-up of the open group an event (`k`) can join without moving its end (list mode, digests), share-locked. */
const OPEN_JOINABLE_GROUP_OF_K = `FROM notification_groups g
      WHERE g.user_id = k.uid AND g.method = k.method AND g.kind = k.kind AND g.family = k.family AND g.key = k.key
        AND g.status = 'open' AND g.max_due_at IS NULL
      FOR SHARE`;

/**
 * Opens the group of each key in `o1` (its id chosen there, due at `lastdue`), or meets the open one
 * of another enqueue; `created` tells which.
 */
const OPEN_GROUPS = `INSERT INTO notification_groups AS g (id, user_id, method, kind, family, key, template_id, reason, opened_at, due_at, max_due_at)
    SELECT o.nid, o.uid, o.method, o.kind, o.family, o.key, CASE WHEN o.kind = 'group' THEN o.tid END, o.reason, $2, o.lastdue, o.maxdue
    FROM o1 o
    ON CONFLICT (user_id, method, kind, family, key) WHERE status = 'open'
    DO UPDATE SET due_at = CASE WHEN g.max_due_at IS NULL THEN g.due_at
                                ELSE LEAST(g.max_due_at, GREATEST(g.due_at, EXCLUDED.due_at)) END
    RETURNING g.id, g.user_id, g.method, g.kind, g.family, g.key, g.id IN (SELECT nid FROM o1) AS created, g.due_at`;

/**
 * The hold statement. `throttled`: some event has a throttle (else the five throttle CTEs, two of
 * them upserts, are left out). `distinct`: no two events share a group key (one event, or one per
 * channel), so each is its key's first and last: no window functions to rank them.
 */
export function holdStatement(channel: string, throttled = true, distinct = false): string {
  return `WITH m AS (
    SELECT * FROM ${HELD_ROWS}
  ), ok AS MATERIALIZED (
    -- Materialized: the hash is computed once per event, not once per partition the probe visits.
    SELECT m.*, notification_message_dedupe_hash(m.tid, m.uid, m.method, m.payload, m.targets, $2) AS hash
    FROM m
    WHERE NOT ${RECIPIENT_OPTED_OUT}
  ), ex AS (
    -- Open groups the events join without moving their end (list mode, digests): share-locked, not
    -- rewritten, so a storm of held events writes no group row. The lock orders the join against a
    -- release (FOR UPDATE): a group released meanwhile is re-checked, found released, and skipped.
    -- One probe of the open-key index per key: as a semi-join, the generic plan walked every open
    -- group (every user's pending digest) for each event.
    SELECT g.id, g.user_id, g.method, g.kind, g.family, g.key
    FROM (SELECT DISTINCT o.uid, o.method, o.kind, o.family, o.key FROM ok o WHERE o.reason <> 'throttle') k,
    LATERAL (SELECT g.id, g.user_id, g.method, g.kind, g.family, g.key ${OPEN_JOINABLE_GROUP_OF_K}) g
  ), fresh AS (
    SELECT ok.*,
      ${distinct ? '1::bigint AS rk, ok.due AS lastdue' : `row_number() OVER (PARTITION BY ok.uid, ok.method, ok.kind, ok.family, ok.key ORDER BY ok.ord) AS rk,
      max(ok.due) OVER (PARTITION BY ok.uid, ok.method, ok.kind, ok.family, ok.key) AS lastdue`}
    FROM ok
    -- The daily dedupe, before an event can open a group or take a throttle slot. An event that
    -- joins an open group needs no probe: its insert's ON CONFLICT DO NOTHING drops a duplicate, as
    -- on the fast path (a storm's held events skip it). Else a per-row probe of the dedupe index (a
    -- correlated LIMIT 1 subquery is never turned into an anti-join): as NOT EXISTS, the generic
    -- plan built while the table was small seq-scanned it. On the hash alone: only the hash's UTC
    -- day (0022) can hold it, but with that day's created_at range in the probe the generic plan
    -- chose the created_at index and filtered the whole day's rows by hash (1.3 ms with 800 rows
    -- that day, growing with every message). An index-only probe of each day's dedupe index (0160)
    -- costs a few µs per partition.
    WHERE EXISTS (SELECT 1 FROM ex WHERE ok.reason <> 'throttle' AND ex.user_id = ok.uid AND ex.method = ok.method AND ex.kind = ok.kind AND ex.family = ok.family AND ex.key = ok.key)
      OR (SELECT 1 FROM notification_messages x WHERE x.dedupe_hash = ok.hash LIMIT 1) IS NULL
  ), o1 AS (
    -- The group each other key would open, with its id chosen here: the upsert returns that id only
    -- if it inserted the row (an open group of another enqueue, committed or not yet, keeps its own).
    SELECT DISTINCT ON (f.uid, f.method, f.kind, f.family, f.key)
      gen_random_uuid() AS nid, f.uid, f.method, f.kind, f.family, f.key, f.tid, f.reason, f.lastdue, f.maxdue
    FROM fresh f
    WHERE f.reason <> 'throttle'
      AND NOT EXISTS (SELECT 1 FROM ex WHERE ex.user_id = f.uid AND ex.method = f.method AND ex.kind = f.kind AND ex.family = f.family AND ex.key = f.key)
    ORDER BY f.uid, f.method, f.kind, f.family, f.key, f.ord
  ), g1 AS (
    ${OPEN_GROUPS}
  ), gs AS (
    SELECT ex.id, ex.user_id, ex.method, ex.kind, ex.family, ex.key, false AS created FROM ex
    UNION ALL
    SELECT g1.id, g1.user_id, g1.method, g1.kind, g1.family, g1.key, g1.created FROM g1
  ), cand AS (
    SELECT f.*, gs.id AS gid1, (f.reason = 'throttle' OR COALESCE(gs.created AND f.rk = 1 AND f.imm, false)) AS want
    FROM fresh f
    LEFT JOIN gs ON f.reason <> 'throttle' AND gs.user_id = f.uid AND gs.method = f.method AND gs.kind = f.kind AND gs.family = f.family AND gs.key = f.key
${throttled ? THROTTLE_CTES : UNTHROTTLED}
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
  ), wake AS (
    SELECT pg_notify('${channel}', '') FROM (SELECT 1 FROM ins WHERE status = 'pending' LIMIT 1) x
  ), opened AS (
    SELECT pg_notify('${GROUPS_CHANNEL}', (floor(extract(epoch FROM min(o.due_at)) * 1000))::bigint::text)
    FROM (SELECT due_at FROM g1 WHERE created UNION ALL SELECT due_at FROM g2 WHERE created) o
    HAVING count(*) > 0
  )
  SELECT i.id, i.status::text AS status, z.woke
  FROM (SELECT (SELECT count(*) FROM wake) + (SELECT count(*) FROM opened) AS woke) z
  LEFT JOIN ins i ON true`;
}

/**
 * The common case in a statement of its own: no throttle, and every event on its own group key (one
 * event, or one per channel). Each event is then its key's first and last, so nothing ranks events
 * per key and the group an event joins or opens is found per event: five CTEs fewer than
 * holdStatement (~10 % of its server time). Same rules, locks and wake-ups.
 */
export function holdDistinctStatement(channel: string): string {
  return `WITH ok AS MATERIALIZED (
    SELECT m.*, notification_message_dedupe_hash(m.tid, m.uid, m.method, m.payload, m.targets, $2) AS hash
    FROM ${HELD_ROWS}
    WHERE NOT ${RECIPIENT_OPTED_OUT}
  ), ex AS (
    SELECT k.id AS mid, g.id
    FROM ok k,
    LATERAL (SELECT g.id ${OPEN_JOINABLE_GROUP_OF_K}) g
  ), fresh AS (
    SELECT ok.*, ex.id AS exid FROM ok LEFT JOIN ex ON ex.mid = ok.id
    WHERE ex.id IS NOT NULL OR (SELECT 1 FROM notification_messages x WHERE x.dedupe_hash = ok.hash LIMIT 1) IS NULL
  ), o1 AS (
    SELECT gen_random_uuid() AS nid, f.uid, f.method, f.kind, f.family, f.key, f.tid, f.reason, f.due AS lastdue, f.maxdue FROM fresh f WHERE f.exid IS NULL
  ), g1 AS (
    ${OPEN_GROUPS}
  ), ins AS (
    INSERT INTO notification_messages
      (id, notification_template_id, user_id, method, payload, targets, created_by, created_at, dedupe_hash, status, status_reason, group_id)
    SELECT f.id, f.tid, f.uid, f.method, f.payload, f.targets, f.by, $2, f.hash,
      CASE WHEN g1.created AND f.imm THEN 'pending' ELSE 'held' END::notification_message_status,
      CASE WHEN g1.created AND f.imm THEN NULL ELSE 'held: ' || f.reason END,
      COALESCE(f.exid, g1.id)
    FROM fresh f
    LEFT JOIN g1 ON f.exid IS NULL AND g1.user_id = f.uid AND g1.method = f.method AND g1.kind = f.kind AND g1.family = f.family AND g1.key = f.key
    ON CONFLICT DO NOTHING
    RETURNING id, status
  ), wake AS (
    SELECT pg_notify('${channel}', '') FROM (SELECT 1 FROM ins WHERE status = 'pending' LIMIT 1) x
  ), opened AS (
    SELECT pg_notify('${GROUPS_CHANNEL}', (floor(extract(epoch FROM min(g1.due_at)) * 1000))::bigint::text)
    FROM g1 WHERE g1.created
    HAVING count(*) > 0
  )
  SELECT i.id, i.status::text AS status, z.woke
  FROM (SELECT (SELECT count(*) FROM wake) + (SELECT count(*) FROM opened) AS woke) z
  LEFT JOIN ins i ON true`;
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
  const throttled = rows.some((r) => r.routed.throttle);
  const keys = new Set(rows.map((r) => `${r.uid}\u0000${r.method}\u0000${r.routed.kind}\u0000${r.routed.family}\u0000${r.routed.key}`));
  const distinct = keys.size === rows.length;
  const sql = !throttled && distinct ? holdDistinctStatement(channel) : holdStatement(channel, throttled, distinct);
  const res = await q.query<{ id: string | null; status: 'pending' | 'held' }>(sql, [JSON.stringify(doc), createdAt], {
    name: `herald_enqueue_hold${throttled ? '' : '_burst'}${distinct ? '_distinct' : ''}`,
  });
  return new Map(res.rows.flatMap((r) => (r.id ? [[r.id, r.status] as const] : [])));
}
