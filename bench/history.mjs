// bench/history (issue 24, target 7): notification_messages with a large history.
//   24.7a enqueue rate with HISTORY old rows in the table ÷ the rate with none (batched enqueueMany,
//         500 per call; single enqueue from 16 producers printed beside it);
//   24.7b dispatch rate (1 replica, webhook to the sink) with HISTORY old rows ÷ with none;
//   24.7c the 7-day purge of HISTORY rows: one run of the partition maintenance that drops a day
//         older than a week; the old single DELETE on an unpartitioned copy of the same rows is
//         measured in the same run for reference, with the dead rows each leaves behind.
// The history is HISTORY delivered messages spread over the six previous UTC days. "Empty" and
// "full" use the same partitions: each history day has a full and an empty twin table, attached in
// turn (with a CHECK constraint, so attaching validates nothing), and the rounds interleave
// (empty, full / full, empty / full, empty / empty, full); each ratio is the median of the rounds' own ratios.
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import {
  freshPgDatabase, heraldFlags, heraldLabels, loadavg, median, mmm, now, openProducer, prepareHeraldDb, round,
  setPaused, sleep, startHerald, startSink, table, writeResult,
} from './lib.mjs';

const HISTORY = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
// 4 rounds in the order empty-full, full-empty, full-empty, empty-full: a rate that drifts through the run
// (it rose ×1.5 in one run, docs/performance.md, twelfth round) favours each side equally often.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const ENQ_N = Number(process.env.BENCH_HISTORY_ENQUEUE_N ?? 20_000);
const SINGLE_N = Number(process.env.BENCH_HISTORY_SINGLE_N ?? 10000);
// 20,000: a 5,000-message round lasted ~1.2 s, so the replica's start-up and the last result write
// were a large share of it and per-round rates swung 3,070–5,084/s; a ~5 s round averages them out.
const DISPATCH_N = Number(process.env.BENCH_HISTORY_DISPATCH_N ?? 20_000);
const REFERENCE = process.env.BENCH_HISTORY_REFERENCE !== '0';
const DAYS = [-6, -5, -4, -3, -2, -1];

const DAY_MS = 86_400_000;
const utcDay = (d) => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + d * DAY_MS);
const part = (d) => `notification_messages_p${utcDay(d).toISOString().slice(0, 10).replace(/-/g, '')}`;
const range = (d) => `FOR VALUES FROM ('${utcDay(d).toISOString()}') TO ('${utcDay(d + 1).toISOString()}')`;

/** `rows` delivered messages created on UTC day `d` (offset from today), inserted straight into `target`. */
async function load(admin, target, d, rows, tpl, users) {
  // The rows' own checks (foreign keys, triggers) are not what is measured: loaded as a replica would.
  await admin.query(`SET session_replication_role = replica`);
  await admin.query(
    `INSERT INTO ${target} (id, notification_template_id, user_id, method, status, created_by, payload, attempt_count,
                            created_at, updated_at, queued_seconds, dedupe_hash)
     SELECT gen_random_uuid(), $1, ($2::uuid[])[1 + i % cardinality($2::uuid[])], 'webhook', 'sent', 'history',
            jsonb_build_object('notification_name', 'Custom Notification', 'labels', jsonb_build_object('custom_title', 'Order ORD-' || i,
              'custom_message', repeat('history ', 24)), 'data', jsonb_build_object('i', i), 'user_email', 'bench@example.com'),
            1, $3::timestamptz + (i::float8 / $4) * interval '86399 seconds', $3::timestamptz + (i::float8 / $4) * interval '86399 seconds' + interval '20 ms',
            0, md5($5 || ':' || i)
     FROM generate_series(0, $4 - 1) AS i`,
    [tpl, users, utcDay(d), rows, target],
  );
  await admin.query(`SET session_replication_role = DEFAULT`);
}

const fresh = await freshPgDatabase('history');
const sink = await startSink();
const res = { enqueue: { empty: [], full: [] }, single: { empty: [], full: [] }, dispatch: { empty: [], full: [] }, purge: {} };
console.log(`bench/history: ${HISTORY} history rows, load average before: ${loadavg()}`);
try {
  const users = await prepareHeraldDb(fresh.url, 100);
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  const today = part(0);

  // The history: full and empty twins of each of the six previous days.
  let t0 = now();
  for (const d of DAYS) {
    const p = part(d);
    await load(admin, p, d, Math.ceil(HISTORY / DAYS.length), TEMPLATE_CUSTOM_NOTIFICATION, users);
    await admin.query(`ALTER TABLE notification_messages DETACH PARTITION ${p}`);
    await admin.query(`ALTER TABLE ${p} RENAME TO ${p}_full`);
    for (const ix of ['dedupe_hash', 'updated_brin']) await admin.query(`ALTER INDEX ${p}_${ix} RENAME TO ${p}_full_${ix}`);
    await admin.query(`SELECT notification_messages_add_partition($1::date)`, [utcDay(d).toISOString().slice(0, 10)]);
    await admin.query(`ALTER TABLE notification_messages DETACH PARTITION ${p}`);
    await admin.query(`ALTER TABLE ${p} RENAME TO ${p}_empty`);
    for (const ix of ['dedupe_hash', 'updated_brin']) await admin.query(`ALTER INDEX ${p}_${ix} RENAME TO ${p}_empty_${ix}`);
    for (const t of [`${p}_full`, `${p}_empty`]) {
      await admin.query(`ALTER TABLE ${t} ADD CHECK (created_at >= '${utcDay(d).toISOString()}' AND created_at < '${utcDay(d + 1).toISOString()}')`);
      await admin.query(`VACUUM ANALYZE ${t}`);
    }
  }
  console.log(`  history loaded in ${round((now() - t0) / 1000, 1)} s`);
  let attached;
  const use = async (which) => {
    if (attached === which) return;
    for (const d of DAYS) {
      if (attached) await admin.query(`ALTER TABLE notification_messages DETACH PARTITION ${part(d)}_${attached}`);
      await admin.query(`ALTER TABLE notification_messages ATTACH PARTITION ${part(d)}_${which} ${range(d)}`);
    }
    attached = which;
    await admin.query('ANALYZE notification_messages');
  };
  const reset = async () => {
    await admin.query(`TRUNCATE ${today}, notification_messages_default`);
    await admin.query(`VACUUM ANALYZE ${today}`);
    await admin.query('CHECKPOINT');
  };
  const count = async () => (await admin.query(`SELECT count(*)::int AS n FROM notification_messages`)).rows[0].n;

  const prod = await openProducer(fresh.url, { sinkUrl: sink.url });
  let seq = 0;
  const req = () => {
    const i = seq++;
    return { userId: users[i % users.length], templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { i }, createdBy: 'bench' };
  };
  await prod.enqueuer.enqueueMany(Array.from({ length: 200 }, req)); // warm-up

  for (let r = 0; r < ROUNDS; r++) {
    for (const which of r % 4 === 1 || r % 4 === 2 ? ['full', 'empty'] : ['empty', 'full']) {
      await use(which);
      const rows = await count();
      await reset();
      // Batched enqueue.
      t0 = now();
      for (let i = 0; i < ENQ_N; i += 500) await prod.enqueuer.enqueueMany(Array.from({ length: Math.min(500, ENQ_N - i) }, req));
      res.enqueue[which].push((ENQ_N / (now() - t0)) * 1000);
      // Single enqueue, 16 producers.
      await reset();
      let next = 0;
      t0 = now();
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < SINGLE_N) {
          next++;
          await prod.enqueuer.enqueueMany([req()]);
        }
      }));
      res.single[which].push((SINGLE_N / (now() - t0)) * 1000);
      // Dispatch: DISPATCH_N messages enqueued paused, one replica, clock from resume to the last result.
      await reset();
      await setPaused(admin, true);
      for (let i = 0; i < DISPATCH_N; i += 500) await prod.enqueuer.enqueueMany(Array.from({ length: Math.min(500, DISPATCH_N - i) }, req));
      await admin.query('CHECKPOINT');
      const herald = await startHerald(fresh.url, heraldFlags('webhook', sink.url));
      await sleep(300);
      await sink.reset();
      t0 = now();
      await setPaused(admin, false);
      while ((await sink.count()) < DISPATCH_N) await sleep(5);
      for (;;) {
        const left = await admin.query(`SELECT count(*)::int AS n FROM ${today} WHERE status IN ('pending', 'temporary_failure', 'leased')`);
        if (left.rows[0].n === 0) break;
        await sleep(5);
      }
      const ms = now() - t0;
      await herald.stop();
      res.dispatch[which].push((DISPATCH_N / ms) * 1000);
      console.log(
        `  round ${r + 1} ${which} (${rows} rows): enqueue ${round(res.enqueue[which].at(-1), 0)}/s batched, ` +
          `${round(res.single[which].at(-1), 0)}/s single; dispatch ${round(res.dispatch[which].at(-1), 0)}/s`,
      );
    }
  }
  await prod.close();
  await use('empty');
  await reset();

  // The purge: HISTORY rows of a day older than a week, as the maintenance finds them.
  const old = -9;
  await admin.query(`SELECT notification_messages_add_partition($1::date)`, [utcDay(old).toISOString().slice(0, 10)]);
  await load(admin, part(old), old, HISTORY, TEMPLATE_CUSTOM_NOTIFICATION, users);
  await admin.query(`VACUUM ANALYZE ${part(old)}`);
  await admin.query('CHECKPOINT');
  const deadRows = async (like) => {
    await admin.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
    await sleep(700); // the statistics collector is asynchronous
    return (await admin.query(`SELECT COALESCE(sum(n_dead_tup), 0)::int AS n FROM pg_stat_user_tables WHERE relname LIKE $1`, [like])).rows[0].n;
  };
  // Where the purge's time goes: the look for rows touched within the week (BRIN), then the whole run.
  const look = await admin.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM ${part(old)} WHERE updated_at >= now() - interval '7 days'`);
  const lookPlan = look.rows[0]['QUERY PLAN'][0];
  res.purge.look = { ms: lookPlan['Execution Time'], node: lookPlan.Plan['Node Type'] };
  t0 = now();
  const m = (await admin.query(`SELECT * FROM notification_messages_maintain(3, '7 days')`)).rows[0];
  const detachMs = now() - t0;
  const inTable = (await admin.query(`SELECT count(*)::int AS n FROM notification_messages WHERE created_at < now() - interval '8 days'`)).rows[0].n;
  t0 = now();
  await admin.query('SELECT notification_messages_drop_detached()');
  res.purge.partitioned = { ms: detachMs, dropMs: now() - t0, inTable, ...m, leftInTable: (await admin.query(`SELECT to_regclass($1)::text AS t`, [part(old)])).rows[0].t };
  res.purge.partitioned.dead = await deadRows('notification_messages%');
  if (res.purge.partitioned.leftInTable !== null || res.purge.partitioned.inTable !== 0 || Number(m.dropped) !== 1) throw new Error(`purge did not drop the day: ${JSON.stringify(m)}`);

  if (REFERENCE) {
    // Reference: the same rows in one unpartitioned table with the indexes the table had before 0160.
    await admin.query(`CREATE TABLE bench_history_unpartitioned (LIKE notification_messages INCLUDING DEFAULTS)`);
    await admin.query(`ALTER TABLE bench_history_unpartitioned ADD PRIMARY KEY (id)`);
    await admin.query(`CREATE UNIQUE INDEX ON bench_history_unpartitioned (dedupe_hash)`);
    await admin.query(`CREATE INDEX ON bench_history_unpartitioned (created_at) WHERE status IN ('pending', 'temporary_failure', 'leased')`);
    await admin.query(`CREATE INDEX ON bench_history_unpartitioned (group_id) WHERE group_id IS NOT NULL`);
    await load(admin, 'bench_history_unpartitioned', old, HISTORY, TEMPLATE_CUSTOM_NOTIFICATION, users);
    await admin.query(`ALTER TABLE bench_history_unpartitioned SET (autovacuum_enabled = false)`);
    await admin.query(`VACUUM ANALYZE bench_history_unpartitioned`);
    await admin.query('CHECKPOINT');
    t0 = now();
    const d = await admin.query(`DELETE FROM bench_history_unpartitioned WHERE COALESCE(updated_at, created_at) < NOW() - interval '7 days'`);
    res.purge.delete = { ms: now() - t0, rows: d.rowCount, dead: await deadRows('bench_history_unpartitioned') };
  }
  await admin.end();
} finally {
  sink.close();
  await fresh.drop();
}

// Each round's two sides ran minutes apart at most: the figure is the median of the rounds' own ratios.
const perRound = (k) => res[k].full.map((f, i) => f / res[k].empty[i]);
const ratio = (k) => median(perRound(k));
console.log(`\nbench/history — ${HISTORY} old rows vs none, ${ROUNDS} interleaved rounds (min / median / max; ratio: median of the rounds' own ratios); load average now ${loadavg()}\n`);
table([
  { what: `batched enqueueMany (${ENQ_N}, 500/call)`, 'empty /s': mmm(res.enqueue.empty), 'with history /s': mmm(res.enqueue.full), 'per-round ratios': perRound('enqueue').map((x) => round(x, 2)).join(' '), ratio: round(ratio('enqueue'), 3) },
  { what: `single enqueue (${SINGLE_N}, 16 producers)`, 'empty /s': mmm(res.single.empty), 'with history /s': mmm(res.single.full), 'per-round ratios': perRound('single').map((x) => round(x, 2)).join(' '), ratio: round(ratio('single'), 3) },
  { what: `dispatch, 1 replica, webhook (${DISPATCH_N})`, 'empty /s': mmm(res.dispatch.empty), 'with history /s': mmm(res.dispatch.full), 'per-round ratios': perRound('dispatch').map((x) => round(x, 2)).join(' '), ratio: round(ratio('dispatch'), 3) },
]);
console.log('');
table([
  { purge: `partitions: detach the day (${HISTORY} rows)`, ms: round(res.purge.partitioned.ms, 1), 'dead rows left': res.purge.partitioned.dead },
  { purge: `  of which the look for rows touched within the week (${res.purge.look.node})`, ms: round(res.purge.look.ms, 1), 'dead rows left': '' },
  { purge: '  then dropping the detached day (its own transaction: file removal)', ms: round(res.purge.partitioned.dropMs, 1), 'dead rows left': '' },
  ...(res.purge.delete ? [{ purge: `reference: one DELETE, unpartitioned (${res.purge.delete.rows} rows)`, ms: round(res.purge.delete.ms, 1), 'dead rows left': res.purge.delete.dead }] : []),
]);
const enqRatio = Math.min(ratio('enqueue'), ratio('single'));
const targets = [
  { id: '24.7a', label: `enqueue with ${HISTORY} old rows ÷ empty (worse of batched and single)`, figure: `×${round(enqRatio, 2)}`, value: enqRatio, target: '≥ ×0.90', met: enqRatio >= 0.9 },
  { id: '24.7b', label: `dispatch with ${HISTORY} old rows ÷ empty`, figure: `×${round(ratio('dispatch'), 2)}`, value: ratio('dispatch'), target: '≥ ×0.90', met: ratio('dispatch') >= 0.9 },
  {
    id: '24.7c',
    label: `7-day purge of ${HISTORY} rows: detach, rows out of the table (then file removal ${round(res.purge.partitioned.dropMs, 0)} ms; dead rows left: ${res.purge.partitioned.dead}${res.purge.delete ? `; one DELETE: ${round(res.purge.delete.ms, 0)} ms, ${res.purge.delete.dead} dead` : ''})`,
    figure: `${round(res.purge.partitioned.ms, 1)} ms`, value: res.purge.partitioned.ms, target: '≤ 100 ms, 0 dead rows',
    met: res.purge.partitioned.ms <= 100 && res.purge.partitioned.dead === 0,
  },
];
console.log('');
for (const t of targets) console.log(`${t.id}  ${t.label}: ${t.figure} (target ${t.target}) — ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('history', { params: { HISTORY, ROUNDS, ENQ_N, SINGLE_N, DISPATCH_N }, ...res, targets }));
