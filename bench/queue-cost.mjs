// bench/queue-cost: what PostgreSQL does per delivered message, in units that do not depend on how
// busy the machine is: transactions, WAL bytes, row versions written (and how many were HOT) and
// index tuples inserted, plus CPU of the replica and of its backends. One Herald replica delivers
// N pre-enqueued webhook messages to the sink, ROUNDS times on a fresh database.
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import {
  freshPgDatabase, heraldFlags, heraldLabels, loadavg, mmm, now, openProducer, prepareHeraldDb, round, setPaused,
  settle, sleep, startHerald, startSink, table, writeResult, cpuSeconds, pgBackendCpu, cpuDelta,
} from './lib.mjs';

const N = Number(process.env.BENCH_N ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

async function counters(c, db) {
  await c.query('SELECT pg_stat_force_next_flush()');
  await sleep(200);
  const t = await c.query(
    `SELECT n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot, n_tup_del::float8 AS del
     FROM pg_stat_user_tables WHERE relname = 'notification_messages'`,
  );
  const x = await c.query(`SELECT xact_commit::float8 AS commits FROM pg_stat_database WHERE datname = $1`, [db]);
  const idx = await c.query(
    `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'notification_messages'`,
  );
  const w = await c.query(`SELECT pg_current_wal_lsn() AS lsn`);
  return { ...t.rows[0], commits: x.rows[0].commits, indexes: idx.rows[0].n, lsn: w.rows[0].lsn };
}

async function runOnce(sink) {
  const h = await freshPgDatabase('queuecost');
  try {
    const [userId] = await prepareHeraldDb(h.url, 1);
    const admin = new pg.Client({ connectionString: h.url });
    await admin.connect();
    await setPaused(admin, true);
    const replica = await startHerald(h.url, heraldFlags('webhook', sink.url));
    const prod = await openProducer(h.url, { sinkUrl: sink.url });
    try {
      for (let i = 0; i < N; i += 1000) {
        await prod.enqueuer.enqueueMany(
          Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i + k), data: { i: i + k }, createdBy: 'bench' })),
        );
      }
      await settle(admin, ['notification_messages']);
      await sink.reset();
      const before = await counters(admin, h.name);
      const pg0 = await pgBackendCpu(admin, h.name);
      const cpu0 = cpuSeconds(replica.pid);
      const t0 = now();
      await setPaused(admin, false);
      while ((await sink.count()) < N) await sleep(5);
      for (;;) {
        const r = await admin.query(`SELECT count(*)::int AS n FROM notification_messages WHERE status <> 'sent'`);
        if (r.rows[0].n === 0) break;
        await sleep(5);
      }
      const ms = now() - t0;
      const workerCpu = cpuSeconds(replica.pid) - cpu0;
      const pgCpu = cpuDelta(pg0, await pgBackendCpu(admin, h.name));
      // Backends report table statistics when they end: stop the replica before reading them.
      await replica.stop();
      const after = await counters(admin, h.name);
      const wal = await admin.query(`SELECT pg_wal_lsn_diff($1, $2)::float8 AS b`, [after.lsn, before.lsn]);
      const upd = after.upd - before.upd;
      const hot = after.hot - before.hot;
      return {
        perSec: (N / ms) * 1000,
        commits: (after.commits - before.commits) / N,
        walBytes: wal.rows[0].b / N,
        versions: upd / N,
        hot: hot / N,
        // A HOT update adds no index entry; any other update adds one to every index whose
        // predicate the new version satisfies (all but the partial dispatchable index once sent).
        indexes: after.indexes,
        workerCpu: (workerCpu * 1000) / N,
        pgCpu: (pgCpu * 1000) / N,
      };
    } finally {
      await prod.close();
      await replica.stop();
      await admin.end();
    }
  } finally {
    await h.drop();
  }
}

console.log(`bench/queue-cost: load average before: ${loadavg()}`);
const sink = await startSink();
const runs = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    const x = await runOnce(sink);
    console.log(`  round ${r + 1}: ${round(x.perSec, 0)}/s, ${round(x.walBytes, 0)} WAL B/msg, ${round(x.versions, 2)} row versions/msg (${round(x.hot, 2)} HOT)`);
    runs.push(x);
  }
} finally {
  sink.close();
}
const col = (k, d = 2) => mmm(runs.map((x) => x[k]), d);
console.log(`\nbench/queue-cost — ${N} webhook messages, 1 replica, ${ROUNDS} rounds (min / median / max)\n`);
table([
    {
      'msgs/s': col('perSec', 0),
      'commits/msg': col('commits', 3),
      'WAL bytes/msg': col('walBytes', 0),
      'row versions/msg': col('versions'),
      'of which HOT': col('hot'),
      'indexes on table': String(runs[0].indexes),
      'replica CPU ms/msg': col('workerCpu', 3),
      'PG backends CPU ms/msg': col('pgCpu', 3),
    },
]);
writeResult('queue-cost', { n: N, rounds: runs });
