import type { Queryable } from '../../db/database.js';
import type { MessagePayload, NotificationMethod } from '../types.js';

// The dispatch queue's SQL, one batched statement per operation.

export interface AcquiredMessage {
  id: string;
  payload: MessagePayload;
  method: NotificationMethod;
  attempt_count: number;
  queued_seconds: number;
  template_id: string;
  title_template: string;
  body_template: string;
  disabled: boolean;
}

/**
 * Leases up to `count` dispatchable messages, oldest first: pending, temporarily failed and due,
 * or leased by a replica whose lease ran out. Nothing is leased while the notifier is paused.
 */
export async function acquireMessages(
  q: Queryable,
  p: { notifierId: string; leaseSeconds: number; maxAttempts: number; count: number },
): Promise<AcquiredMessage[]> {
  const r = await q.query<AcquiredMessage>(
    `WITH acquired AS (
       UPDATE notification_messages AS nm
       SET queued_seconds = GREATEST(0, EXTRACT(EPOCH FROM (NOW() - COALESCE(nm.updated_at, nm.created_at)))),
           updated_at = NOW(),
           status = 'leased',
           status_reason = 'Leased by notifier ' || $1,
           leased_until = NOW() + make_interval(secs => $2)
       WHERE nm.id IN (
         SELECT id FROM notification_messages
         -- The first condition is implied by the second, but spelled out so the planner can prove the
         -- partial index's predicate: an ordered index scan that stops after $4 rows instead of a
         -- sequential scan and sort of the whole backlog on every lease (docs/performance.md).
         WHERE status IN ('pending', 'temporary_failure', 'leased')
           AND (status IN ('pending', 'temporary_failure') OR (status = 'leased' AND leased_until < NOW()))
           AND (attempt_count IS NULL OR attempt_count < $3)
           AND (next_retry_after IS NULL OR next_retry_after < NOW())
           AND NOT EXISTS (
             SELECT 1 FROM site_configs
             WHERE key = 'notifications_settings' AND value::jsonb ->> 'notifier_paused' = 'true')
         ORDER BY created_at ASC
         FOR UPDATE SKIP LOCKED
         LIMIT $4)
       RETURNING nm.id, nm.payload, nm.method, nm.attempt_count, nm.queued_seconds,
                 nm.notification_template_id, nm.user_id)
     SELECT a.id, a.payload, a.method, COALESCE(a.attempt_count, 0)::int AS attempt_count,
            COALESCE(a.queued_seconds, 0)::float8 AS queued_seconds,
            a.notification_template_id AS template_id, nt.title_template, nt.body_template,
            COALESCE(np.disabled, false) AS disabled
     FROM acquired a
     JOIN notification_templates nt ON nt.id = a.notification_template_id
     LEFT JOIN notification_preferences np
       ON np.user_id = a.user_id AND np.notification_template_id = a.notification_template_id`,
    [p.notifierId, p.leaseSeconds, p.maxAttempts, p.count],
  );
  return r.rows;
}

export interface SentResult {
  id: string;
  at: Date;
}

export async function markSent(q: Queryable, results: SentResult[]): Promise<number> {
  if (!results.length) return 0;
  const r = await q.query(
    `UPDATE notification_messages AS nm
     SET queued_seconds = 0, updated_at = s.sent_at, attempt_count = COALESCE(nm.attempt_count, 0) + 1,
         status = 'sent', status_reason = NULL, leased_until = NULL, next_retry_after = NULL
     FROM unnest($1::uuid[], $2::timestamptz[]) AS s(id, sent_at)
     WHERE nm.id = s.id`,
    [results.map((x) => x.id), results.map((x) => x.at)],
  );
  return r.rowCount;
}

export interface FailedResult {
  id: string;
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
  p: { maxAttempts: number; retryIntervalSeconds: number },
): Promise<number> {
  if (!results.length) return 0;
  const r = await q.query(
    `UPDATE notification_messages AS nm
     SET queued_seconds = 0, updated_at = f.failed_at,
         attempt_count = COALESCE(nm.attempt_count, 0) + 1,
         status = CASE WHEN f.status = 'temporary_failure' AND COALESCE(nm.attempt_count, 0) + 1 >= $6
                       THEN 'permanent_failure'::notification_message_status ELSE f.status END,
         status_reason = f.reason,
         leased_until = NULL,
         next_retry_after = CASE WHEN f.status = 'temporary_failure' AND COALESCE(nm.attempt_count, 0) + 1 < $6
                                 THEN COALESCE(f.retry_at, NOW() + make_interval(secs => $7)) ELSE NULL END
     FROM unnest($1::uuid[], $2::timestamptz[], $3::notification_message_status[], $4::text[], $5::timestamptz[])
          AS f(id, failed_at, status, reason, retry_at)
     WHERE nm.id = f.id`,
    [
      results.map((x) => x.id),
      results.map((x) => x.at),
      results.map((x) => x.status),
      results.map((x) => x.reason),
      results.map((x) => x.retryAt ?? null),
      p.maxAttempts,
      p.retryIntervalSeconds,
    ],
  );
  return r.rowCount;
}

/** Messages untouched for a week go (the reference's purge). */
export async function deleteOldMessages(q: Queryable): Promise<number> {
  const r = await q.query(
    `DELETE FROM notification_messages WHERE COALESCE(updated_at, created_at) < NOW() - interval '7 days'`,
  );
  return r.rowCount;
}

export async function getAppearance(q: Queryable): Promise<{ application_name: string; logo_url: string }> {
  const r = await q.query<{ key: string; value: string }>(
    `SELECT key, value FROM site_configs WHERE key IN ('application_name', 'logo_url')`,
  );
  const m = new Map(r.rows.map((x) => [x.key, x.value]));
  return { application_name: m.get('application_name') ?? '', logo_url: m.get('logo_url') ?? '' };
}
