// bench/wait-sampler: a diagnosis aid, not a benchmark. Run beside a bench (`node bench/wait-sampler.mjs
// 'herald_bench_latency_%_<bench pid>'`, stop it with SIGTERM): samples pg_stat_activity of the matching
// databases every INTERVAL ms (default 3) and prints what their active backends were doing (statement
// kind | wait event, CPU when none), ungranted locks, who held PostgreSQL's notification-queue lock while
// someone waited for it, and how often backends queued for the WAL write lock. Used for "Why enqueue
// statements stall" in docs/performance.md.
import pg from 'pg';
import { PG_URL } from './lib.mjs';
const c = new pg.Client({ connectionString: PG_URL });
await c.connect();
const counts = new Map();
let walWaitSamples = 0, walWaitWithSync = 0, walWaiters = 0;
let samples = 0, activeSamples = 0;
const lockw = new Map();
const holders = new Map();
let stop = false;
process.on('SIGTERM', () => { stop = true; });
process.on('SIGINT', () => { stop = true; });
const pat = process.argv[2] ?? 'herald_bench_latency_%';
while (!stop) {
  const r = await c.query(`SELECT a.pid, a.wait_event_type, a.wait_event, a.backend_type, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60) AS q,
      (SELECT string_agg(l.locktype || ':' || l.mode || ':' || coalesce(l.relation::regclass::text, l.classid::text || '/' || l.objid::text, ''), ',') FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted) AS waiting
    FROM pg_stat_activity a WHERE (a.datname LIKE $1 AND a.state = 'active') OR (a.backend_type NOT IN ('client backend') AND a.wait_event_type IS NOT NULL AND a.wait_event_type NOT IN ('Activity'))`, [pat]);
  samples++;
  const h = await c.query(`SELECT a.datname LIKE $1 AS mine, coalesce(a.wait_event_type, 'CPU') || ':' || coalesce(a.wait_event, '') AS w, left(a.query, 30) AS q
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'object' AND l.classid = 1262 AND l.objid = 0 AND l.granted
      AND EXISTS (SELECT 1 FROM pg_locks w WHERE w.locktype = 'object' AND w.classid = 1262 AND w.objid = 0 AND NOT w.granted)`, [pat]);
  for (const x of h.rows) { const k = `notify-lock holder (${x.mine ? 'this bench' : 'other db'}) ${x.w} ${x.q.replace(/\s+/g, ' ')}`; holders.set(k, (holders.get(k) ?? 0) + 1); }
  const mine = r.rows.filter((x) => x.pid !== c.processID);
  if (mine.length) activeSamples++;
  const ww = r.rows.filter((x) => x.wait_event === 'WALWrite' && x.wait_event_type === 'LWLock').length;
  const ws = r.rows.filter((x) => x.wait_event === 'WALSync' || x.wait_event === 'WALWrite' && x.wait_event_type === 'IO').length;
  if (ww) { walWaitSamples++; if (ws) walWaitWithSync++; walWaiters += ww; }
  for (const x of mine) {
    const kind = x.backend_type !== 'client backend' ? x.backend_type : x.q.includes('notification_messages (id') || x.q.startsWith('WITH t AS') ? 'enqueue' : x.q.includes('pg_notify') ? 'notify' : x.q.slice(0, 40);
    const k = `${kind} | ${x.wait_event_type ?? 'CPU'}:${x.wait_event ?? ''}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if (x.waiting) lockw.set(x.waiting, (lockw.get(x.waiting) ?? 0) + 1);
  }
  await new Promise((r) => setTimeout(r, Number(process.env.INTERVAL ?? 3)));
}
console.log(`samples ${samples}, with activity ${activeSamples}; samples with backends waiting for WALWriteLock ${walWaitSamples} (mean waiters ${(walWaiters / Math.max(1, walWaitSamples)).toFixed(1)}), of which a sampled backend was in the WAL write/fsync itself: ${walWaitWithSync}`);
for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(String(v).padStart(6), k);
console.log('ungranted locks:');
for (const [k, v] of [...lockw].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(String(v).padStart(6), k);
console.log('notify-lock holders while someone waits:');
for (const [k, v] of [...holders].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(String(v).padStart(6), k);
await c.end();
