// bench/latency: enqueue → received-at-the-sink latency (p50/p95/p99) at fixed offered loads, one
// Herald replica process (defaults, webhook method), one producer in this process enqueueing one
// notification at a time on a fixed schedule (as the anchor's producer), stamping data.enq just before.
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldFlags, heraldLabels, loadavg, now, openProducer, prepareHeraldDb, round, sleep, startHerald, startSink, summarise, table, writeResult } from './lib.mjs';

const RATES = (process.env.BENCH_RATES ?? '50,200,1000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 5);

const fresh = await freshPgDatabase('latency');
const sink = await startSink();
const rows = [];
try {
  const [userId] = await prepareHeraldDb(fresh.url, 1);
  const replica = await startHerald(fresh.url, heraldFlags('webhook', sink.url));
  const prod = await openProducer(fresh.url, { sinkUrl: sink.url, maxConnections: 4 });
  let seq = 0;
  const send = (t) => prod.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(seq), data: { enq: t, i: seq++ }, createdBy: 'bench' }]);
  for (let i = 0; i < 20; i++) await send(0);
  await sleep(300);
  console.log(`bench/latency: load average before: ${loadavg()}`);
  for (const rate of RATES) {
    await sink.reset();
    const total = rate * SECONDS;
    const start = now();
    const pending = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      // Above 200/s one awaited enqueue at a time cannot keep up on 2 cores: keep up to 8 in flight.
      const p = send(now());
      if (rate > 200) {
        pending.push(p);
        if (pending.length >= 8) await pending.shift();
      } else await p;
    }
    await Promise.all(pending);
    const achieved = (total / (now() - start)) * 1000;
    const deadline = now() + 15_000;
    while (now() < deadline && (await sink.count()) < total) await sleep(20);
    const st = await sink.stats();
    const s = summarise(st.latencies);
    rows.push({ 'offered/s': rate, 'achieved/s': round(achieved, 0), delivered: `${st.count}/${total}`, 'p50 ms': round(s.p50, 2), 'p95 ms': round(s.p95, 2), 'p99 ms': round(s.p99, 2), 'max ms': round(s.max, 1), 'RSS MB': round(replica.rss(), 0) });
    console.log(`  ${rate}/s: p50 ${round(s.p50, 2)} p99 ${round(s.p99, 2)} ms`);
  }
  await prod.close();
  await replica.stop();
} finally {
  sink.close();
  await fresh.drop();
}
console.log(`\nbench/latency — PostgreSQL, 1 replica (defaults), webhook, ${SECONDS}s per rate\n`);
table(rows);
console.log('\nwrote', writeResult('latency', { params: { RATES, SECONDS }, rows }));
