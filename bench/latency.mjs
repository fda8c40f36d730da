// bench/latency: enqueue → received-at-the-sink latency (p50/p95/p99) at fixed offered loads, one
// Herald replica process (defaults, webhook method). Offered by PRODUCERS producer processes (so the
// producer is not the limit, issue 24 target 4b), each with Herald's own enqueuer on its own pool,
// each offering rate/PRODUCERS on a fixed schedule (event i due at t0 + i/rate; a producer never
// waits for a late call before the next is due, up to 8 in flight), one event per call, stamping
// data.enq just before the call. Each event also carries its producer's number: two producers can stamp
// the same enq for the same sequence number, and Herald keeps only one of two identical notifications
// of a day (its dedupe), which showed as one message in ~5 runs never reaching the sink.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldFlags, heraldLabels, loadavg, now, openProducer, prepareHeraldDb, round, sleep, startHerald, startSink, summarise, table, writeResult } from './lib.mjs';

if (process.argv[2] === 'producer') {
  const { url, sinkUrl, userId, k } = JSON.parse(process.argv[3]);
  const prod = await openProducer(url, { sinkUrl, maxConnections: 8 });
  let seq = 0;
  const send = (t) => prod.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(seq), data: { enq: t, i: seq++, k }, createdBy: 'bench' }]);
  for (let i = 0; i < 5; i++) await send(0);
  process.send({ type: 'ready' });
  process.on('message', async (m) => {
    if (m.type === 'stop') {
      await prod.close();
      process.exit(0);
    }
    // Offer `total` events at `rate`/s from wall-clock time `start` (shared by every producer).
    const { rate, total, start } = m;
    const inflight = new Set();
    const calls = [];
    let late = 0;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      else if (wait < -5) late++;
      const t = now();
      const p = send(t).finally(() => {
        inflight.delete(p);
        calls.push(now() - t);
      });
      inflight.add(p);
      if (inflight.size >= 8) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    process.send({ type: 'done', ms: now() - start, late, calls });
  });
} else {
  const RATES = (process.env.BENCH_RATES ?? '50,200,1000').split(',').map(Number);
  const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 5);
  const PRODUCERS = Number(process.env.BENCH_PRODUCERS ?? 4);
  const TARGET_MS = 25;

  const fresh = await freshPgDatabase('latency');
  const sink = await startSink();
  const rows = [];
  const load = loadavg();
  let at1000;
  try {
    const [userId] = await prepareHeraldDb(fresh.url, 1);
    const replica = await startHerald(fresh.url, heraldFlags('webhook', sink.url));
    const producers = await Promise.all(
      Array.from({ length: PRODUCERS }, async (_, k) => {
        const child = fork(fileURLToPath(import.meta.url), ['producer', JSON.stringify({ url: fresh.url, sinkUrl: sink.url, userId, k })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        await new Promise((r) => child.once('message', r));
        return child;
      }),
    );
    await sleep(300);
    console.log(`bench/latency: load average before: ${load}`);
    for (const rate of RATES) {
      await sink.reset();
      const total = rate * SECONDS;
      const per = Math.floor(total / PRODUCERS);
      const start = now() + 50;
      // Producer k offers every PRODUCERS-th slot of the schedule: shifted by k/rate.
      const done = producers.map(
        (c, k) =>
          new Promise((resolve) => {
            c.once('message', resolve);
            c.send({ rate: rate / PRODUCERS, total: per, start: start + (k * 1000) / rate });
          }),
      );
      const results = await Promise.all(done);
      const sent = per * PRODUCERS;
      const achieved = (sent / Math.max(...results.map((r) => r.ms))) * 1000;
      const late = results.reduce((a, r) => a + r.late, 0);
      // How long the enqueue calls themselves took (stamp to resolve): the part of the latency below
      // spent before the message was committed.
      const call = summarise(results.flatMap((r) => r.calls));
      const deadline = now() + 15_000;
      while (now() < deadline && (await sink.count()) < sent) await sleep(20);
      const st = await sink.stats();
      const s = summarise(st.latencies);
      const row = { 'offered/s': rate, 'achieved/s': round(achieved, 0), 'producer calls > 5 ms late': late, 'call p50 ms': round(call.p50, 2), 'call p99 ms': round(call.p99, 2), delivered: `${st.count}/${sent}`, 'p50 ms': round(s.p50, 2), 'p95 ms': round(s.p95, 2), 'p99 ms': round(s.p99, 2), 'max ms': round(s.max, 1), 'RSS MB': round(replica.rss(), 0) };
      rows.push(row);
      if (rate === 1000) at1000 = { ...s, achieved, delivered: st.count, sent };
      console.log(`  ${rate}/s: p50 ${round(s.p50, 2)} p99 ${round(s.p99, 2)} ms (achieved ${round(achieved, 0)}/s, ${st.count}/${sent})`);
    }
    for (const c of producers) c.send({ type: 'stop' });
    await replica.stop();
  } finally {
    sink.close();
    await fresh.drop();
  }
  console.log(`\nbench/latency — PostgreSQL, 1 replica (defaults), webhook, ${SECONDS}s per rate, ${PRODUCERS} producer processes\n`);
  table(rows);
  const targets = at1000
    ? [{ id: '24.4b', label: 'p99 enqueue→delivered at 1,000/s offered', figure: `${round(at1000.p99, 1)} ms`, value: at1000.p99, target: `≤ ${TARGET_MS} ms`, met: at1000.p99 <= TARGET_MS && at1000.delivered === at1000.sent }]
    : [];
  for (const t of targets) console.log(`${t.id} ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
  console.log('\nwrote', writeResult('latency', { params: { RATES, SECONDS, PRODUCERS }, loadavg: load, rows, targets }));
}
