import type { Database } from '../db/database.js';
import { MESSAGE_PARTITIONS_LOCK } from '../db/locks.js';

// notification_messages is partitioned by UTC day of created_at (0160_message_partitions.sql). Its
// upkeep is one SQL function; this runs it on one replica at a time.

/** UTC days ahead whose partitions exist (the default partition takes any row beyond them). */
export const PARTITION_DAYS_AHEAD = 3;
/** Messages untouched for this long go (the reference's purge). */
export const MESSAGE_RETENTION = '7 days';

export interface MaintenanceResult {
  /** Day partitions created ahead. */
  created: number;
  /** Old day partitions detached (then dropped). */
  dropped: number;
  /** Rows of dropped days touched within the retention, moved to the default partition. */
  moved: number;
  /** Rows of the default partition deleted as untouched for the retention. */
  deleted: number;
}

/**
 * Creates the next days' partitions and drops the days older than the retention. Another replica
 * doing it already: returns undefined at once. Waits at most a second for its locks (attaching and
 * dropping a partition lock the table briefly), so it never queues enqueues behind a long
 * transaction; it simply runs again next time.
 */
export async function maintainMessagePartitions(
  db: Database,
  o: { daysAhead?: number; retention?: string } = {},
): Promise<MaintenanceResult | undefined> {
  const r = await db.tx(async (q) => {
    const got = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [MESSAGE_PARTITIONS_LOCK]);
    if (!got.rows[0].ok) return undefined;
    await q.query(`SET LOCAL lock_timeout = '1s'`);
    const r = await q.query<{ created: number; dropped: number; moved: string; deleted: string }>(
      'SELECT created, dropped, moved, deleted FROM notification_messages_maintain($1, $2::interval)',
      [o.daysAhead ?? PARTITION_DAYS_AHEAD, o.retention ?? MESSAGE_RETENTION],
    );
    const x = r.rows[0];
    return { created: x.created, dropped: x.dropped, moved: Number(x.moved), deleted: Number(x.deleted) };
  });
  // The detached days' files go in a transaction of their own (no lock on the table is needed).
  if (r?.dropped) await db.query('SELECT notification_messages_drop_detached() AS n');
  return r;
}
