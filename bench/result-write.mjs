// bench/result-write (issue 24, target 7b, diagnosis): what old rows in other day partitions cost one
// result write. markSent of 100 results (the replica's statement, dist/, which says id and created_at)
// against the same UPDATE by id alone (the statement before created_at was carried: it probes every
// partition's primary key), prepared, generic plans, interleaved, each in a rolled-back transaction;
// first with HISTORY delivered rows over the six previous UTC days, then with those days emptied.
// Prints the median per statement and each one's ratio with history ÷ without. Not in `npm run bench`:
// it times one statement, not Herald.
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { markSent } from '../dist/notifications/dispatch/queries.js';
import { freshPgDatabase, loadavg, median, prepareHeraldDb, round, table, writeResult } from './lib.mjs';

const HISTORY = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 400);
const BATCH = 100;
const BY_ID = `UPDATE notification_messages AS nm
  SET queued_seconds = 0, updated_at = s.sent_at, attempt_count = COALESCE(nm.attempt_count, 0) + 1,
      status = 'sent', status_reason = NULL, leased_until = NULL, next_retry_after = NULL
  FROM unnest($1::uuid[], $2::timestamptz[]) AS s(id, sent_at)
  WHERE nm.id = s.id`;

console.log(`bench/result-write: ${HISTORY} history rows, load average before: ${loadavg()}`);
const fresh = await freshPgDatabase('resultwrite');
const res = {};
try {
  const users = await prepareHeraldDb(fresh.url, 10);
  const c = new pg.Client({ connectionString: fresh.url });
  await c.connect();
  const q = { query: async (text, values, o) => c.query(o?.name ? { name: o.name, text, values } : { text, values }) };
  await c.query(`SET session_replication_role = replica`);
  for (const d of [-6, -5, -4, -3, -2, -1]) {
    await c.query(
      `INSERT INTO notification_messages (id, notification_template_id, user_id, method, status, payload, created_by, created_at, updated_at)
       SELECT gen_random_uuid(), $1, $2, 'webhook', 'sent', jsonb_build_object('i', i, 'pad', repeat('h', 200)), 'history',
              date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + $3 * interval '1 day' + (i::float8 / $4) * interval '86399 s', now()
       FROM generate_series(1, $4) AS i`,
      [TEMPLATE_CUSTOM_NOTIFICATION, users[0], d, Math.ceil(HISTORY / 6)],
    );
  }
  // Today's backlog, 500 rows per created_at as enqueueMany writes them.
  await c.query(
    `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by, created_at)
     SELECT gen_random_uuid(), $1, $2, 'webhook', jsonb_build_object('i', i), 'bench', now() - (i / 500) * interval '1 ms'
     FROM generate_series(1, 20000) AS i`,
    [TEMPLATE_CUSTOM_NOTIFICATION, users[0]],
  );
  await c.query(`SET session_replication_role = DEFAULT`);
  await c.query('VACUUM ANALYZE notification_messages');
  await c.query('SET plan_cache_mode = force_generic_plan');
  const pending = (await c.query(`SELECT id, created_at::text AS created_at FROM notification_messages WHERE status = 'pending'`)).rows;
  for (const which of ['history', 'empty']) {
    if (which === 'empty') {
      const days = (await c.query(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'notification_messages'::regclass AND c.relname ~ '_p[0-9]{8}$'
           AND c.relname < 'notification_messages_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')`,
      )).rows.map((x) => x.relname);
      for (const t of days) await c.query(`TRUNCATE ${t}`);
      await c.query('VACUUM ANALYZE notification_messages');
    }
    const t = { byId: [], withCreatedAt: [] };
    for (let r = 0; r < RUNS; r++) {
      const at = (r * BATCH) % (pending.length - BATCH);
      const batch = pending.slice(at, at + BATCH);
      for (const k of r % 2 ? ['withCreatedAt', 'byId'] : ['byId', 'withCreatedAt']) {
        await c.query('BEGIN');
        const t0 = performance.now();
        if (k === 'byId') await q.query(BY_ID, [batch.map((x) => x.id), batch.map(() => new Date())], { name: 'by_id' });
        else await markSent(q, batch.map((x) => ({ id: x.id, created_at: x.created_at, at: new Date() })));
        t[k].push(performance.now() - t0);
        await c.query('ROLLBACK');
      }
    }
    res[which] = { byId: median(t.byId), withCreatedAt: median(t.withCreatedAt) };
  }
  await c.end();
} finally {
  await fresh.drop();
}
table([
  { statement: `by id (reference), ${BATCH} results`, 'with history ms': round(res.history.byId, 3), 'empty ms': round(res.empty.byId, 3), ratio: round(res.history.byId / res.empty.byId, 2) },
  { statement: `markSent (id and created_at), ${BATCH} results`, 'with history ms': round(res.history.withCreatedAt, 3), 'empty ms': round(res.empty.withCreatedAt, 3), ratio: round(res.history.withCreatedAt / res.empty.withCreatedAt, 2) },
]);
console.log(`load average after: ${loadavg()}`);
console.log('wrote', writeResult('result-write', { params: { HISTORY, RUNS, BATCH }, ...res }));
