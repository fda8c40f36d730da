// bench/pglite: enqueue rate, dispatch rate and enqueue→delivered latency for the inbox and for a webhook
// sink on embedded PGlite (in-process server, one connection: everything serialises). Prints a table
// and writes JSON to bench/results/. (bench/dispatch.mjs and bench/latency.mjs cover PostgreSQL.)
import { resolveConfig } from '../dist/server/config.js';
import { silentLogger } from '../dist/lib/logger.js';
import { startServer } from '../dist/server/server.js';
import { openPostgres } from '../dist/db/postgres.js';
import { fromPGlite } from '../dist/db/pglite.js';
import { INBOX_CHANNEL } from '../dist/notifications/inbox/store.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { PGlite } from '@electric-sql/pglite';
import { now, round, setPaused, startSink, summarise, table, writeResult } from './lib.mjs';

const N = Number(process.env.BENCH_PGLITE_N ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const LAT_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 5);
const LEASE = Number(process.env.BENCH_LEASE_COUNT ?? 100);

async function openDb(engine) {
  if (engine === 'postgres') {
    const fresh = await freshPgDatabase('dispatch');
    const db = openPostgres({ url: fresh.url, maxConnections: 20 });
    return { db, close: async () => { await fresh.drop(); } };
  }
  const pgl = await PGlite.create();
  return { db: fromPGlite(pgl), close: async () => {} };
}

async function run(engine, method, sink) {
  const { db, close } = await openDb(engine);
  const config = resolveConfig({
    flags: {
      httpAddress: '127.0.0.1:0',
      accessUrl: 'http://bench.test',
      'notifications.method': method === 'webhook' ? 'webhook' : 'smtp',
      'notifications.webhook.endpoint': method === 'webhook' ? sink.url : '',
      'notifications.inbox.enabled': method === 'inbox',
      'notifications.leaseCount': LEASE,
      'notifications.storeSyncBufferSize': LEASE * 2,
      apiRateLimit: 0,
    },
  });
  const server = await startServer({ config, log: silentLogger(), db });
  const enq = server.ctx.enqueuer;
  try {
    const userId = (
      await db.query(`INSERT INTO users (email, username, hashed_password) VALUES ('b@example.com', 'bench', '\\x') RETURNING id`)
    ).rows[0].id;
    const pause = (p) => setPaused(db, p);
    const sentCount = async () => (await db.query(`SELECT count(*)::int AS n FROM notification_messages WHERE status = 'sent'`)).rows[0].n;
    const send = (i, t = 0) =>
      enq.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: `bench ${i}`, custom_message: String(t || i) }, data: { enq: t, i }, createdBy: 'bench' }]);

    // 1. Enqueue throughput (dispatcher paused), 16 concurrent producers.
    await pause(true);
    let next = 0;
    const t0 = now();
    await Promise.all(Array.from({ length: 16 }, async () => { while (next < N) await send(next++); }));
    const enqueueSeconds = (now() - t0) / 1000;

    // 2. Dispatch throughput: resume and wait until every message is sent.
    if (sink) await sink.reset();
    const t1 = now();
    await pause(false);
    while ((await sentCount()) < N) await new Promise((r) => setTimeout(r, 10));
    const dispatchSeconds = (now() - t1) / 1000;

    // 3. Latency at a fixed offered rate, one enqueue at a time.
    await db.query(`DELETE FROM notification_messages`);
    if (sink) await sink.reset();
    const inboxLat = [];
    const stop = await db.listen(INBOX_CHANNEL, (payload) => {
      const ev = JSON.parse(payload);
      const t = Number(ev.inbox_notification?.content);
      if (t > 0) inboxLat.push(now() - t);
    });
    const total = RATE * LAT_SECONDS;
    const start = now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await send(N + i, now());
    }
    const deadline = now() + 10_000;
    while (now() < deadline) {
      const got = method === 'inbox' ? inboxLat.length : (await sink.stats()).count;
      if (got >= total) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await stop();
    const lat = summarise(method === 'inbox' ? inboxLat : (await sink.stats()).latencies);
    return {
      engine,
      method,
      messages: N,
      'enqueue/s': round(N / enqueueSeconds, 0),
      'dispatch/s': round(N / dispatchSeconds, 0),
      'latency rate/s': RATE,
      'p50 ms': round(lat.p50, 2),
      'p95 ms': round(lat.p95, 2),
      'p99 ms': round(lat.p99, 2),
      delivered: `${lat.n}/${total}`,
      'rss MB': round(process.memoryUsage().rss / 1e6, 0),
    };
  } finally {
    await server.stop();
    await db.close();
    await close();
  }
}

const engines = ['pglite'];
const sink = await startSink();
const rows = [];
try {
  for (const engine of engines) for (const method of ['inbox', 'webhook']) rows.push(await run(engine, method, sink));
} finally {
  sink.close();
}
console.log(`\nbench/pglite — ${N} messages, lease count ${LEASE}, latency at ${RATE}/s for ${LAT_SECONDS}s\n`);
table(rows, Object.keys(rows[0]));
console.log('\nwrote', writeResult('pglite', { params: { N, RATE, LAT_SECONDS, LEASE }, rows }));
