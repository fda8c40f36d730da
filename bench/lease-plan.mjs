// bench/lease-plan (issue 24, targets 4a/4b, diagnosis): what re-planning the lease's read of the rows
// it locked cost. One replica process (defaults, webhook) and one producer enqueueing one event at a
// time at RATE/s, in interleaved rounds of two kinds on the same database: the read function as
// shipped (0190: it keeps the generic plan for the session) and with that setting reset, as 0180
// shipped it (PL/pgSQL then re-planned its query over every day partition at each lease). Prints per
// kind the enqueue→received p50/p99 and the CPU per event of the PostgreSQL backends and of the
// replica, and shipped ÷ re-planned. Not in `npm run bench`: it compares two plans of one statement.
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import {
  cpuDelta, cpuSeconds, freshPgDatabase, heraldFlags, heraldLabels, loadavg, median, offer, openProducer, pgBackendCpu,
  prepareHeraldDb, round, setPaused, settle, startHerald, startSink, summarise, table, waitDelivered, writeResult,
} from './lib.mjs';

const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const FN = 'notification_messages_read_locked(uuid[], timestamptz[])';
const KINDS = {
  shipped: `ALTER FUNCTION ${FN} SET plan_cache_mode = force_generic_plan`,
  replanned: `ALTER FUNCTION ${FN} RESET plan_cache_mode`,
};

console.log(`bench/lease-plan: ${RATE}/s for ${SECONDS}s per round, load average before: ${loadavg()}`);
const fresh = await freshPgDatabase('leaseplan');
const sink = await startSink();
const res = { shipped: [], replanned: [] };
try {
  const [userId] = await prepareHeraldDb(fresh.url, 1);
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of r % 2 ? ['replanned', 'shipped'] : ['shipped', 'replanned']) {
        await admin.query(KINDS[kind]);
        await admin.query('DELETE FROM notification_messages');
        await setPaused(admin, false);
        await settle(admin, ['notification_messages']);
        const replica = await startHerald(fresh.url, heraldFlags('webhook', sink.url));
        const prod = await openProducer(fresh.url, { sinkUrl: sink.url, maxConnections: 2 });
        try {
          const send = (i, t) => prod.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { enq: t, i, r }, createdBy: 'bench' }]);
          await sink.reset();
          for (let i = 0; i < 20; i++) await send(1e6 + i, 0);
          await waitDelivered(sink, 20);
          await sink.reset();
          const total = RATE * SECONDS;
          const pg0 = await pgBackendCpu(admin, fresh.name);
          const c0 = cpuSeconds(replica.pid);
          await offer(total, RATE, send);
          const st = await waitDelivered(sink, total, 30_000);
          const pgCpu = cpuDelta(pg0, await pgBackendCpu(admin, fresh.name));
          const replicaCpu = cpuSeconds(replica.pid) - c0;
          const s = summarise(st.latencies);
          res[kind].push({ p50: s.p50, p99: s.p99, pgMs: (pgCpu * 1000) / total, replicaMs: (replicaCpu * 1000) / total, delivered: st.count, duplicates: st.duplicates, total });
          const x = res[kind].at(-1);
          console.log(`  round ${r + 1} ${kind}: p50 ${round(x.p50, 2)} p99 ${round(x.p99, 2)} ms, PostgreSQL ${round(x.pgMs, 3)} ms/event, replica ${round(x.replicaMs, 3)} ms/event (${x.delivered}/${total} received, ${x.duplicates} duplicate ids)`);
        } finally {
          await prod.close();
          await replica.stop();
        }
      }
    }
  } finally {
    await admin.query(KINDS.shipped).catch(() => undefined);
    await admin.end();
  }
} finally {
  sink.close();
  await fresh.drop().catch(() => undefined);
}

const med = (kind, k) => median(res[kind].map((x) => x[k]));
console.log(`\nbench/lease-plan — one replica, one producer at ${RATE}/s, ${ROUNDS} interleaved rounds (medians)\n`);
table(Object.keys(res).map((kind) => ({
  'read of locked rows': kind === 'shipped' ? 'generic plan kept for the session (0190)' : 're-planned at each lease (0180)',
  'p50 ms': round(med(kind, 'p50'), 2),
  'p99 ms': round(med(kind, 'p99'), 2),
  'PostgreSQL CPU ms/event': round(med(kind, 'pgMs'), 3),
  'replica CPU ms/event': round(med(kind, 'replicaMs'), 3),
})));
const ratios = Object.fromEntries(['p50', 'p99', 'pgMs', 'replicaMs'].map((k) => [k, med('shipped', k) / med('replanned', k)]));
console.log(`shipped ÷ re-planned: p50 ×${round(ratios.p50, 2)}, p99 ×${round(ratios.p99, 2)}, PostgreSQL CPU ×${round(ratios.pgMs, 2)}, replica CPU ×${round(ratios.replicaMs, 2)}`);
console.log('\nwrote', writeResult('lease-plan', { params: { RATE, SECONDS, ROUNDS }, results: res, ratios }));
