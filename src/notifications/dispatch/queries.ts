import type { Queryable } from '../../db/database.js';
import { NOTIFICATIONS_SETTINGS_KEY } from '../../db/site-config.js';
import type { MessagePayload, NotificationMethod } from '../types.js';

// The dispatch queue's SQL, one batched statement per operation.

export interface AcquiredMessage {
  id: string;
  /**
   * The partition key, as PostgreSQL's text (microseconds: a JS Date would drop them). Writes and
   * reads by id also say `created_at = this`, so that only the message's own day partition is
   * probed (run-time pruning), not the primary-key index of every partition (docs/performance.md).
   */
  created_at: string;
  payload: MessagePayload;
  method: NotificationMethod;
  attempt_count: number;
  queued_seconds: number;
  template_id: string;
  title_template: string;
  body_template: string;
  critical: boolean;
  disabled: boolean;
}

/** Advisory-lock namespace (first key) of in-flight messages; the second key is a hash of the id. */
export { MESSAGE_LOCK_CLASS } from '../../db/locks.js';
import { MESSAGE_LOCK_CLASS } from '../../db/locks.js';

// Dispatchable: pending, temporarily failed and due, or left `leased` by an older replica whose lease
// ran out. The first condition is implied by the second, but spelled out so the planner can prove
// the partial index's predicate: an ordered index scan that stops early instead of a sequential
// scan and sort of the whole backlog on every lease (docs/performance.md).
const DISPATCHABLE = `status IN ('pending', 'temporary_failure', 'leased')
  AND (status IN ('pending', 'temporary_failure') OR (status = 'leased' AND leased_until < NOW()))
  AND (attempt_count IS NULL OR attempt_count < $1)
  AND (next_retry_after IS NULL OR next_retry_after < NOW())`;

const FETCHED_COLUMNS = `nm.id, nm.created_at::text AS created_at, nm.payload, nm.method, COALESCE(nm.attempt_count, 0)::int AS attempt_count,
  GREATEST(0, EXTRACT(EPOCH FROM (NOW() - COALESCE(nm.updated_at, nm.created_at))))::float8 AS queued_seconds,
  nm.notification_template_id AS template_id, nt.critical,
  COALESCE(CASE WHEN nm.carries IS NOT NULL THEN nr.group_title_template END, nt.title_template) AS title_template,
  COALESCE(CASE WHEN nm.carries IS NOT NULL THEN nr.group_body_template END, nt.body_template) AS body_template,
  COALESCE(np.disabled, false) AND NOT nt.critical AS disabled`;

/** Most candidates one lock statement walks (past rows other replicas hold): a lease takes at most this many. */
export const MAX_LOCK_CANDIDATES = 2000;

/**
 * Locks up to $3 due messages, oldest first, skipping those another session holds and the ids in $2
 * ($1: max attempts). The volatile lock call stays above the inner LIMIT (neither flattened nor
 * pushed down), so the outer LIMIT stops pulling candidates once $3 locks are held: no lock is taken
 * and dropped. `first`: a condition evaluated before each lock call (UNLOCK_THEN_LOCK_DUE's order).
 */
const lockDue = (first = 'true') => `SELECT c.id, c.created_at FROM (
    SELECT id, created_at FROM notification_messages
    WHERE ${DISPATCHABLE}
      AND id <> ALL($2::uuid[])
      AND NOT EXISTS (
        SELECT 1 FROM site_configs
        WHERE key = '${NOTIFICATIONS_SETTINGS_KEY}' AND value::jsonb ->> 'notifier_paused' = 'true')
    ORDER BY created_at ASC
    LIMIT ${MAX_LOCK_CANDIDATES}) AS c
  WHERE ${first} AND pg_try_advisory_lock(${MESSAGE_LOCK_CLASS}, hashtext(c.id::text))
  LIMIT $3`;
const LOCK_DUE = lockDue();

/**
 * The template text and the recipient's preference of a message `nm`, for delivery. A message that
 * carries a group (issue 19) is rendered with the template's grouped text when it has one. Starts
 * with the template's JOIN: `LEFT ${TEMPLATE_JOINS}` makes every join a left one (LOCK_AND_READ).
 */
const TEMPLATE_JOINS = `JOIN notification_templates nt ON nt.id = nm.notification_template_id
  LEFT JOIN notification_template_rules nr ON nm.carries IS NOT NULL AND nr.template_id = nm.notification_template_id
  LEFT JOIN notification_preferences np
    ON np.user_id = nm.user_id AND np.notification_template_id = nm.notification_template_id`;

/**
 * LOCK_DUE after releasing the locks in $4 (messages whose results are committed), in one
 * statement: the unlocks are an aggregate that yields its single row only once every one has run,
 * and the lease is a lateral subquery of that row (it refers to it), so it runs after them. A lock
 * is re-entrant: a message unlocked here and due again is locked once, as by a separate unlock.
 */
const UNLOCK_THEN_LOCK_DUE = `SELECT l.id, l.created_at FROM
  (SELECT count(pg_advisory_unlock(${MESSAGE_LOCK_CLASS}, hashtext(u.id::text)))::int AS n
   FROM unnest($4::uuid[]) AS u(id)) AS done
  CROSS JOIN LATERAL (
    ${lockDue('done.n >= 0')}) AS l`;

/**
 * The lease and the read of what it locked, in one statement (LOCK_DUE, or UNLOCK_THEN_LOCK_DUE).
 * The read must see every result committed before a lock was taken: a message another replica
 * finished (result committed, then unlocked) between this statement's snapshot and its lock is
 * pending in that snapshot. So the locked rows are read through notification_messages_read_locked
 * (0180), a VOLATILE function, whose query takes a snapshot of its own when it starts, after its
 * arguments (every locked id) are computed, i.e. after every lock. The CTE holds a volatile call: it
 * is evaluated once, in full (the arguments read all of it), before the function runs.
 * One row per lock taken: `locked_id`, the message's columns as read, and `due`, false when it is
 * no longer dispatchable (or gone): the caller unlocks those. One pass over the function's rows
 * (left joins): a join of the locks with the rows read was planned as a nested loop over both
 * (200 × 200 rows, 100 ms per lease of 200 in the generic plan).
 */
const LOCK_AND_READ = (lock: string) => `WITH locked AS (${lock})
  SELECT nm.locked_id, ${FETCHED_COLUMNS}, nm.id IS NOT NULL AND ${DISPATCHABLE} AS due
  FROM (SELECT f.locked_id, (f.m).*
        FROM notification_messages_read_locked(ARRAY(SELECT id FROM locked), ARRAY(SELECT created_at FROM locked)) AS f) AS nm
  LEFT ${TEMPLATE_JOINS}
  ORDER BY nm.created_at`;

/**
 * Takes a session-level advisory lock on up to `count` dispatchable messages, oldest first, skipping
 * those another session holds and the `exclude`d ones this dispatcher already has (after releasing
 * the locks in `unlock`), and reads them for delivery: the PostgreSQL lease, one round trip. Writes
 * nothing: the lock is the lease, and it ends with the session, so a crashed replica's messages are
 * free at once. Nothing is locked while the notifier is paused. `stale`: ids locked but no longer
 * dispatchable when read, which the caller must unlock.
 */
export async function lockAndReadMessages(
  session: Queryable,
  p: { maxAttempts: number; count: number; exclude: string[]; unlock?: string[] },
): Promise<{ messages: AcquiredMessage[]; stale: string[] }> {
  const r = p.unlock?.length
    ? await session.query<AcquiredMessage & { locked_id: string; due: boolean }>(
        LOCK_AND_READ(UNLOCK_THEN_LOCK_DUE),
        [p.maxAttempts, p.exclude, p.count, p.unlock],
        { name: 'herald_unlock_lock_read_messages' },
      )
    : await session.query<AcquiredMessage & { locked_id: string; due: boolean }>(
        LOCK_AND_READ(LOCK_DUE),
        [p.maxAttempts, p.exclude, p.count],
        { name: 'herald_lock_read_messages' },
      );
  const messages: AcquiredMessage[] = [];
  const stale: string[] = [];
  for (const { locked_id, due, ...m } of r.rows) {
    if (due) messages.push(m);
    else stale.push(locked_id);
  }
  return { messages, stale };
}

/**
 * Locks and reads in one statement: for the embedded engine, where this process's dispatcher is the
 * only one and its own results are written (and unlocked) on the same session before this runs, so
 * the snapshot question lockAndReadMessages answers with its function does not arise. The CTE holds a volatile call,
 * so it is evaluated once, in full, and takes exactly the locks it returns.
 */
export async function lockAndFetchMessages(
  session: Queryable,
  p: { maxAttempts: number; count: number; exclude: string[] },
): Promise<AcquiredMessage[]> {
  const r = await session.query<AcquiredMessage>(
    `WITH locked AS (${LOCK_DUE})
     SELECT ${FETCHED_COLUMNS}
     FROM locked l
     JOIN notification_messages nm ON nm.id = l.id AND nm.created_at = l.created_at
     ${TEMPLATE_JOINS}
     ORDER BY nm.created_at`,
    [p.maxAttempts, p.exclude, p.count],
    { name: 'herald_lock_and_fetch_messages' },
  );
  return r.rows;
}

/** Re-takes locks after the session that held them was lost; returns the ids it could lock. */
export async function relockMessages(session: Queryable, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const r = await session.query<{ id: string }>(
    `SELECT u.id FROM unnest($1::uuid[]) AS u(id) WHERE pg_try_advisory_lock(${MESSAGE_LOCK_CLASS}, hashtext(u.id::text))`,
    [ids],
  );
  return r.rows.map((x) => x.id);
}

/** Releases the locks of messages whose results are committed (or that turned out not to be due). */
export async function unlockMessages(session: Queryable, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await session.query(
    `SELECT pg_advisory_unlock(${MESSAGE_LOCK_CLASS}, hashtext(u.id::text)) FROM unnest($1::uuid[]) AS u(id)`,
    [ids],
    { name: 'herald_unlock_messages' },
  );
}

export interface SentResult {
  id: string;
  /** AcquiredMessage.created_at: the write probes the message's own partition only. */
  created_at: string;
  at: Date;
}

/**
 * A FROM item that makes the autocommitted result write commit without waiting for its WAL flush
 * (`synchronous_commit = off` for this statement's own transaction: `set_config(…, true)` lasts until
 * its commit, which reads it, and is reset after). What a crash of PostgreSQL itself (not of a replica,
 * nor a lost connection: the commit record is then already in its WAL buffers) can lose is the last
 * few hundred milliseconds of result writes: those messages are delivered again, as after a replica
 * that died before writing its results, and an inbox row again is a no-op (its id is the message id).
 * Nothing enqueued is ever lost this way; enqueues keep their durable commit. In return the
 * dispatcher's writes stop queueing for the WAL flush in front of the producers' commits. Inside a
 * caller's transaction it would apply to that whole transaction: markSent and markFailed run
 * autocommitted only.
 */
const NO_FLUSH_WAIT = `(SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait`;

/**
 * With `unlock`, the same statement also releases the messages' locks: for the embedded engine,
 * whose single session both holds the locks and writes the results.
 */
function unlockingResults(update: string, unlock: boolean | undefined): string {
  return unlock
    ? `WITH done AS (${update} RETURNING nm.id)
       SELECT count(pg_advisory_unlock(${MESSAGE_LOCK_CLASS}, hashtext(done.id::text)))::int AS n FROM done`
    : update;
}

export async function markSent(q: Queryable, results: SentResult[], o: { unlock?: boolean } = {}): Promise<void> {
  if (!results.length) return;
  await q.query(
    unlockingResults(
      `UPDATE notification_messages AS nm
       SET queued_seconds = 0, updated_at = s.sent_at, attempt_count = COALESCE(nm.attempt_count, 0) + 1,
           status = 'sent', status_reason = NULL, leased_until = NULL, next_retry_after = NULL
       FROM unnest($1::uuid[], $3::timestamptz[], $2::timestamptz[]) AS s(id, created_at, sent_at), ${NO_FLUSH_WAIT}
       WHERE nm.id = s.id AND nm.created_at = s.created_at`,
      o.unlock,
    ),
    [results.map((x) => x.id), results.map((x) => x.at), results.map((x) => x.created_at)],
    { name: o.unlock ? 'herald_mark_sent_unlock' : 'herald_mark_sent' },
  );
}

export interface FailedResult {
  id: string;
  /** AcquiredMessage.created_at: the write probes the message's own partition only. */
  created_at: string;
  at: Date;
  status: 'temporary_failure' | 'permanent_failure' | 'inhibited';
  reason: string;
  /** Earliest next attempt (a receiver's Retry-After); the retry interval otherwise. */
  retryAt?: Date;
}

/** Records failures; a temporary failure on the last allowed attempt becomes permanent. */
export async function markFailed(
  q: Queryable,
  results: FailedResult[],
  p: { maxAttempts: number; retryIntervalSeconds: number; unlock?: boolean },
): Promise<void> {
  if (!results.length) return;
  await q.query(
    unlockingResults(
    `UPDATE notification_messages AS nm
     SET queued_seconds = 0, updated_at = f.failed_at,
         attempt_count = COALESCE(nm.attempt_count, 0) + 1,
         status = CASE WHEN f.status = 'temporary_failure' AND COALESCE(nm.attempt_count, 0) + 1 >= $6
                       THEN 'permanent_failure'::notification_message_status ELSE f.status END,
         status_reason = f.reason,
         leased_until = NULL,
         next_retry_after = CASE WHEN f.status = 'temporary_failure' AND COALESCE(nm.attempt_count, 0) + 1 < $6
                                 THEN COALESCE(f.retry_at, NOW() + make_interval(secs => $7)) ELSE NULL END
     FROM unnest($1::uuid[], $8::timestamptz[], $2::timestamptz[], $3::notification_message_status[], $4::text[], $5::timestamptz[])
          AS f(id, created_at, failed_at, status, reason, retry_at), ${NO_FLUSH_WAIT}
     WHERE nm.id = f.id AND nm.created_at = f.created_at`,
      p.unlock,
    ),
    [
      results.map((x) => x.id),
      results.map((x) => x.at),
      results.map((x) => x.status),
      results.map((x) => x.reason),
      results.map((x) => x.retryAt ?? null),
      p.maxAttempts,
      p.retryIntervalSeconds,
      results.map((x) => x.created_at),
    ],
    { name: p.unlock ? 'herald_mark_failed_unlock' : 'herald_mark_failed' },
  );
}

export async function getAppearance(q: Queryable): Promise<{ application_name: string; logo_url: string }> {
  const r = await q.query<{ key: string; value: string }>(
    `SELECT key, value FROM site_configs WHERE key IN ('application_name', 'logo_url')`,
  );
  const m = new Map(r.rows.map((x) => [x.key, x.value]));
  return { application_name: m.get('application_name') ?? '', logo_url: m.get('logo_url') ?? '' };
}

export interface DispatchSettings {
  application_name: string;
  logo_url: string;
  /** The deployment-wide pause (PUT /notifications/settings); LOCK_DUE also honours it. */
  notifier_paused: boolean;
}

/** The appearance and the pause flag in one statement: the dispatcher reads them every few seconds at most. */
export async function getDispatchSettings(q: Queryable): Promise<DispatchSettings> {
  const r = await q.query<{ key: string; value: string }>(
    `SELECT key, value FROM site_configs WHERE key IN ('application_name', 'logo_url', $1)`,
    [NOTIFICATIONS_SETTINGS_KEY],
    { name: 'herald_dispatch_settings' },
  );
  const m = new Map(r.rows.map((x) => [x.key, x.value]));
  let paused = false;
  try {
    paused = (JSON.parse(m.get(NOTIFICATIONS_SETTINGS_KEY) ?? '{}') as { notifier_paused?: unknown }).notifier_paused === true;
  } catch {
    // An unreadable value pauses nothing, as LOCK_DUE reads it.
  }
  return { application_name: m.get('application_name') ?? '', logo_url: m.get('logo_url') ?? '', notifier_paused: paused };
}
