// bench/dispatch: messages delivered per second to (a) the inbox and (b) a webhook sink on loopback,
// with 1, 2 and 4 replicas on one PostgreSQL. Each replica is its own `node bin/herald.js server`
// process with default options (only the delivery method set). N messages are enqueued with the
// dispatchers paused; the clock runs from resume until every row is marked sent. Also records the
// replicas' RSS idle (after start) and peak under load.
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import {
  freshPgDatabase, heraldFlags, heraldLabels, loadavg, median, mmm, now, openProducer, prepareHeraldDb, round,
  rssSampler, setPaused, settle, sleep, startHerald, startSink, table, writeResult,
} from './lib.mjs';

const N = Number(process.env.BENCH_N ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const REPLICAS = (process.env.BENCH_REPLICAS ?? '1,2,4').split(',').map(Number);

const fresh = await freshPgDatabase('dispatch');
const sink = await startSink();
const out = [];
try {
  const userIds = await prepareHeraldDb(fresh.url, 100);
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  console.log(`bench/dispatch: load average before: ${loadavg()}`);
  for (let round_ = 0; round_ < ROUNDS; round_++) {
    for (const method of ['webhook', 'inbox']) {
      for (const replicas of REPLICAS) {
        await admin.query('TRUNCATE notification_messages, inbox_notifications');
        await setPaused(admin, true);
        await settle(admin, ['notification_messages', 'inbox_notifications']);
        const procs = await Promise.all(Array.from({ length: replicas }, () => startHerald(fresh.url, heraldFlags(method, sink.url))));
        await sleep(300);
        const idle = procs.map((p) => p.rss());
        const prod = await openProducer(fresh.url, { sinkUrl: sink.url, method });
        for (let i = 0; i < N; i += 500) {
          await prod.enqueuer.enqueueMany(
            Array.from({ length: Math.min(500, N - i) }, (_, k) => ({
              userId: userIds[(i + k) % userIds.length], templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i + k), data: { i: i + k }, createdBy: 'bench',
            })),
          );
        }
        await prod.close();
        await admin.query('CHECKPOINT');
        await sink.reset();
        const samplers = procs.map((p) => rssSampler(p.pid));
        const t0 = now();
        await setPaused(admin, false);
        // Webhook: wait on the sink's counter first (no database load), then for the last status writes.
        if (method === 'webhook') while ((await sink.count()) < N) await sleep(5);
        for (;;) {
          const r = await admin.query(`SELECT count(*)::int AS n FROM notification_messages WHERE status IN ('pending', 'temporary_failure', 'leased')`);
          if (r.rows[0].n === 0) break;
          await sleep(5);
        }
        const ms = now() - t0;
        const peak = samplers.map((s) => s());
        const delivered =
          method === 'webhook' ? (await sink.count()) : (await admin.query('SELECT count(*)::int AS n FROM inbox_notifications')).rows[0].n;
        await Promise.all(procs.map((p) => p.stop()));
        out.push({ method, replicas, perSec: (N / ms) * 1000, ms, delivered, idleRss: Math.max(...idle), peakRss: Math.max(...peak) });
        console.log(`  ${method} × ${replicas}: ${round((N / ms) * 1000, 0)}/s (${delivered}/${N} delivered), RSS idle ${round(Math.max(...idle), 0)} MB, peak ${round(Math.max(...peak), 0)} MB`);
      }
    }
  }
  await admin.end();
} finally {
  sink.close();
  await fresh.drop();
}
const rows = [];
for (const method of ['webhook', 'inbox']) {
  for (const replicas of REPLICAS) {
    const rs = out.filter((x) => x.method === method && x.replicas === replicas);
    rows.push({
      method,
      replicas,
      'msgs/s min/med/max': mmm(rs.map((x) => x.perSec)),
      delivered: rs.map((x) => x.delivered).join(' '),
      'RSS idle MB (max replica)': mmm(rs.map((x) => x.idleRss)),
      'RSS peak MB (max replica)': mmm(rs.map((x) => x.peakRss)),
    });
  }
}
console.log(`\nbench/dispatch — ${N} messages to 100 users, replicas as separate processes, ${ROUNDS} rounds (min / median / max)\n`);
table(rows);
console.log('\nwrote', writeResult('dispatch', { params: { N, ROUNDS, REPLICAS }, runs: out }));
