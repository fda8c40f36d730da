// bench/reference-locks: the enqueue's reference check with 0161's row locks (FOR KEY SHARE on the
// template and user rows) against 0170's shared advisory locks, same run, interleaved rounds, one user
// and one template as in bench/latency.mjs: WAL records per 100 sequential single enqueues (needs the
// pg_walinspect extension and a superuser), then single enqueues with PROBE_CONC (32) in flight on one
// pool: calls/s, call p50/p99, MultiXactMember SLRU pages zeroed (cluster-wide) per round.
import fs from 'node:fs';
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldLabels, loadavg, now, openProducer, prepareHeraldDb, round, summarise } from './lib.mjs';

const m0161 = fs.readFileSync(new URL('../src/db/migrations/0161_message_reference_checks.sql', import.meta.url), 'utf8');
const oldFn = m0161.match(/CREATE OR REPLACE FUNCTION inhibit_enqueue_if_disabled_stmt[\s\S]*?\$\$;/)[0];
const variants = {};
for (const v of ['old', 'new']) {
  const fresh = await freshPgDatabase('reflocks_' + v);
  const [userId] = await prepareHeraldDb(fresh.url, 1);
  const c = new pg.Client({ connectionString: fresh.url });
  await c.connect();
  if (v === 'old') {
    await c.query(oldFn);
    await c.query('DROP TRIGGER lock_for_delete ON users; DROP TRIGGER lock_for_delete ON notification_templates');
  }
  await c.query('CREATE EXTENSION IF NOT EXISTS pg_walinspect');
  const prod = await openProducer(fresh.url, { sinkUrl: 'http://127.0.0.1:9/hook', maxConnections: Number(process.env.PROBE_CONC ?? 32) });
  variants[v] = { fresh, userId, c, prod, seq: 0 };
}
const send = (x) => x.prod.enqueuer.enqueueMany([{ userId: x.userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(x.seq), data: { i: x.seq++ }, createdBy: 'bench' }]);
for (const x of Object.values(variants)) for (let i = 0; i < 20; i++) await send(x);
console.log('load', loadavg());

// 1. WAL records written by 100 sequential single enqueues, by record type (this database's blocks and
// the transactions that wrote them).
for (const [v, x] of Object.entries(variants)) {
  const oid = (await x.c.query('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0].oid;
  const a = (await x.c.query('SELECT pg_current_wal_flush_lsn() AS l')).rows[0].l;
  for (let i = 0; i < 100; i++) await send(x);
  await x.c.query('SELECT pg_sleep(0.05)');
  const b = (await x.c.query('SELECT pg_current_wal_flush_lsn() AS l')).rows[0].l;
  const r = await x.c.query(
    `WITH w AS (SELECT * FROM pg_get_wal_records_info($1, $2)),
          mine AS (SELECT DISTINCT xid FROM w WHERE block_ref LIKE '%/' || $3 || '/%' AND xid <> '0')
     SELECT resource_manager || '/' || record_type AS t, count(*)::int AS n, sum(record_length)::int AS bytes, sum(fpi_length)::int AS fpi
     FROM w WHERE xid IN (SELECT xid FROM mine) GROUP BY 1 ORDER BY 3 DESC`, [a, b, String(oid)]);
  console.log(`\n${v}: WAL per 100 sequential enqueues`);
  for (const row of r.rows) console.log(`  ${row.t.padEnd(34)} ${String(row.n).padStart(5)} ${String(row.bytes).padStart(8)} B  fpi ${row.fpi}`);
}

// 2. Throughput and call latency with CONC calls in flight, interleaved rounds.
const CONC = Number(process.env.PROBE_CONC ?? 32);
const N = Number(process.env.PROBE_N ?? 3000);
const res = { old: [], new: [] };
for (let round_ = 0; round_ < Number(process.env.PROBE_ROUNDS ?? 3); round_++) {
  for (const v of round_ % 2 ? ['new', 'old'] : ['old', 'new']) {
    const x = variants[v];
    const mx0 = (await x.c.query(`SELECT blks_zeroed::int AS z FROM pg_stat_slru WHERE name = 'MultiXactMember'`)).rows[0].z;
    const lat = [];
    let i = 0;
    const t0 = now();
    await Promise.all(Array.from({ length: CONC }, async () => {
      while (i++ < N) { const s = now(); await send(x); lat.push(now() - s); }
    }));
    const ms = now() - t0;
    const mx1 = (await x.c.query(`SELECT blks_zeroed::int AS z FROM pg_stat_slru WHERE name = 'MultiXactMember'`)).rows[0].z;
    const s = summarise(lat);
    res[v].push({ rate: (N / ms) * 1000, p50: s.p50, p99: s.p99, mx: mx1 - mx0 });
    console.log(`round ${round_} ${v}: ${round((N / ms) * 1000, 0)}/s, call p50 ${round(s.p50, 2)} p99 ${round(s.p99, 2)} ms, multixact member pages zeroed (cluster) ${mx1 - mx0}`);
  }
}
for (const v of ['old', 'new']) {
  const med = (k) => round(res[v].map((r) => r[k]).sort((a, b) => a - b)[Math.floor(res[v].length / 2)], 2);
  console.log(`${v}: median rate ${med('rate')}/s, p50 ${med('p50')}, p99 ${med('p99')} ms`);
}
console.log('load', loadavg());
for (const x of Object.values(variants)) { await x.prod.close(); await x.c.end(); await x.fresh.drop(); }
