// bench/graphile: the same webhook workload on Herald and on graphile-worker 0.17 (tuned as in
// bench-anchor.md §3: localQueue.size = concurrency + 1, completeJobBatchDelay = failJobBatchDelay = 0,
// concurrency 24, maxPoolSize concurrency + 2), against the same PostgreSQL and the same sink, in
// the same run, interleaved. Throughput: N jobs pre-enqueued, clock from start of work until the
// queue is empty (graphile) / every row is marked sent (Herald). Latency: one producer in this
// process enqueues one at a time at RATE/s; enqueue→received at the sink.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { makeWorkerUtils } from 'graphile-worker';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import {
  freshPgDatabase, heraldFlags, heraldLabels, makePayload, median, mmm, now, openProducer, prepareHeraldDb,
  round, setPaused, settle, sleep, startHerald, startSink, summarise, table, writeResult, loadavg, cpuSeconds, pgBackendCpu, cpuDelta,
  offer, waitDelivered,
} from './lib.mjs';
import { heraldWebhookThroughput } from './runs.mjs';

const N = Number(process.env.BENCH_N ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const LAT_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const GW_CONCURRENCY = Number(process.env.BENCH_GW_CONCURRENCY ?? 24);
const GW_TUNED = (process.env.BENCH_GW_TUNED ?? '1') === '1';
const HERALD_FLAGS = JSON.parse(process.env.BENCH_HERALD_FLAGS ?? '{}');
const heraldThroughput = (h, sink) => heraldWebhookThroughput(h, sink, { n: N, flags: HERALD_FLAGS });

function gwChild(env) {
  const child = fork(fileURLToPath(new URL('./graphile-worker.mjs', import.meta.url)), [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    const w = waiters.findIndex((x) => x.type === m.type);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
    else messages.push(m);
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    next: (type) =>
      new Promise((resolve, reject) => {
        const i = messages.findIndex((m) => m.type === type);
        if (i >= 0) return resolve(messages.splice(i, 1)[0]);
        waiters.push({ type, resolve });
        exited.then((code) => reject(new Error(`graphile-worker child exited (${code}) before ${type}`)));
      }),
    exited,
    pid: child.pid,
    continue: () => child.send({ type: 'continue' }),
    kill: () => child.kill(),
  };
}

async function graphileThroughput(g, sink) {
  await sink.reset();
  const c = gwChild({ GW_URL: g.url, GW_MODE: 'throughput', GW_REPORT_CPU: '1', GW_N: String(N), GW_CONCURRENCY: String(GW_CONCURRENCY), GW_TUNED: GW_TUNED ? '1' : '0', GW_SINK: sink.url });
  // The child says when its clock starts and stops; CPU of it and of its database's backends is
  // read here around that window.
  await c.next('start');
  const admin = new pg.Client({ connectionString: g.url });
  await admin.connect();
  const pg0 = await pgBackendCpu(admin, g.name);
  const cpu0 = cpuSeconds(c.pid);
  await c.next('stop');
  const workerCpu = cpuSeconds(c.pid) - cpu0;
  const pgCpu = cpuDelta(pg0, await pgBackendCpu(admin, g.name));
  await admin.end();
  c.continue();
  const r = { ...(await c.next('result')), workerCpuMsPerJob: (workerCpu * 1000) / N, pgCpuMsPerJob: (pgCpu * 1000) / N };
  await c.exited;
  const st = await sink.stats();
  return { ...r, posts: st.count, bytes: st.bytes / Math.max(1, st.count), conns: st.connections };
}

/** Offers `total` items at `rate`/s, one call at a time (the anchor's producer). */
async function heraldLatency(h, sink) {
  const admin = new pg.Client({ connectionString: h.url });
  await admin.connect();
  await admin.query('DELETE FROM notification_messages');
  await setPaused(admin, false);
  await settle(admin, ['notification_messages']);
  const replica = await startHerald(h.url, { ...heraldFlags('webhook', sink.url), ...HERALD_FLAGS });
  const prod = await openProducer(h.url, { sinkUrl: sink.url, maxConnections: 2 });
  try {
    const send = (i, t) => prod.enqueuer.enqueueMany([{ userId: h.userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { enq: t, i }, createdBy: 'bench' }]);
    await sink.reset();
    for (let i = 0; i < 20; i++) await send(1e6 + i, 0);
    await waitDelivered(sink, 20);
    await sink.reset();
    const total = RATE * LAT_SECONDS;
    const o = await offer(total, RATE, send);
    const st = await waitDelivered(sink, total);
    return { ...summarise(st.latencies), achieved: o.achieved, callP50: o.call.p50, callP99: o.call.p99, delivered: st.count, total };
  } finally {
    await prod.close();
    await replica.stop();
    await admin.end();
  }
}

async function graphileLatency(g, sink) {
  const total = RATE * LAT_SECONDS;
  const c = gwChild({ GW_URL: g.url, GW_MODE: 'latency', GW_N: String(total), GW_CONCURRENCY: String(GW_CONCURRENCY), GW_TUNED: GW_TUNED ? '1' : '0', GW_SINK: sink.url });
  await c.next('ready');
  await sink.reset();
  const utils = await makeWorkerUtils({ connectionString: g.url });
  try {
    await utils.withPgClient((cl) => cl.query('SELECT 1'));
    const o = await offer(total, RATE, (i, t) => utils.addJob('webhook', { ...makePayload(i), enq: t }));
    const st = await waitDelivered(sink, total);
    await Promise.race([c.exited, sleep(5000)]);
    c.kill();
    return { ...summarise(st.latencies), achieved: o.achieved, callP50: o.call.p50, callP99: o.call.p99, delivered: st.count, total };
  } finally {
    await utils.release();
  }
}

const hdb = await freshPgDatabase('gw_herald');
const gdb = await freshPgDatabase('gw_graphile');
const sink = await startSink();
const results = { herald: [], graphile: [], heraldLat: [], graphileLat: [] };
const startLoad = loadavg();
try {
  const [userId] = await prepareHeraldDb(hdb.url, 1);
  const h = { url: hdb.url, name: hdb.name, userId };
  const g = { url: gdb.url, name: gdb.name };
  console.log(`bench/graphile: load average before: ${startLoad}`);
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so drift in machine load hits both.
    const order = r % 2 ? ['graphile', 'herald'] : ['herald', 'graphile'];
    for (const side of order) {
      if (side === 'herald') results.herald.push(await heraldThroughput(h, sink));
      else results.graphile.push(await graphileThroughput(g, sink));
      console.log(`  round ${r + 1} ${side} throughput: ${round(results[side].at(-1).perSec, 0)}/s`);
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ['graphile', 'herald'] : ['herald', 'graphile'];
    for (const side of order) {
      const key = `${side}Lat`;
      if (side === 'herald') results[key].push(await heraldLatency(h, sink));
      else results[key].push(await graphileLatency(g, sink));
      const l = results[key].at(-1);
      console.log(`  round ${r + 1} ${side} latency at ${RATE}/s: p50 ${round(l.p50, 2)} p99 ${round(l.p99, 2)} ms (${l.delivered}/${l.total})`);
    }
  }
} finally {
  sink.close();
  await hdb.drop().catch(() => undefined);
  await gdb.drop().catch(() => undefined);
}

const gwName = `graphile-worker 0.17 ${GW_TUNED ? 'tuned' : 'default'} c${GW_CONCURRENCY}`;
const rows = [
  ...[['Herald (1 replica, defaults)', results.herald], [gwName, results.graphile]].map(([name, rs]) => ({
    system: name,
    'jobs/s min/med/max': mmm(rs.map((x) => x.perSec)),
    'total ms min/med/max': mmm(rs.map((x) => x.totalMs)),
    'POST bytes': round(median(rs.map((x) => x.bytes)), 0),
    'new conns': mmm(rs.map((x) => x.conns)),
    'worker CPU ms/job': mmm(rs.map((x) => x.workerCpuMsPerJob), 3),
    'PG backends CPU ms/job': mmm(rs.map((x) => x.pgCpuMsPerJob), 3),
    'enqueue/s (setup)': mmm(rs.map((x) => x.enqueuePerSec)),
  })),
];
const latRows = [['Herald (1 replica, defaults)', results.heraldLat], [gwName, results.graphileLat]].map(([name, rs]) => ({
  system: name,
  'p50 ms': mmm(rs.map((x) => x.p50), 2),
  'p95 ms': mmm(rs.map((x) => x.p95), 2),
  'p99 ms': mmm(rs.map((x) => x.p99), 2),
  'max ms': mmm(rs.map((x) => x.max), 1),
  delivered: rs.map((x) => `${x.delivered}/${x.total}`).join(' '),
  'offered/s': mmm(rs.map((x) => x.achieved), 1),
}));
const tput = median(results.herald.map((x) => x.perSec)) / median(results.graphile.map((x) => x.perSec));
const p99 = median(results.heraldLat.map((x) => x.p99)) / median(results.graphileLat.map((x) => x.p99));
console.log(`\nbench/graphile — webhook workload, ${N} jobs pre-enqueued, ${ROUNDS} interleaved rounds (min / median / max)\n`);
table(rows);
console.log(`\nenqueue→received latency at ${RATE}/s for ${LAT_SECONDS}s, one enqueue at a time\n`);
table(latRows);
const targets = [
  { id: '24.1a', label: 'webhook dispatch vs graphile-worker tuned', figure: `×${round(tput, 2)}`, value: tput, target: '≥ ×3', met: tput >= 3 },
  { id: '24.4a', label: `p99 enqueue→delivered at ${RATE}/s vs graphile-worker`, figure: `×${round(p99, 2)}`, value: p99, target: '≤ ×0.5', met: p99 <= 0.5 },
];
const perRound = results.herald.map((x, i) => round(x.perSec / results.graphile[i]?.perSec, 2));
console.log(`\nHerald / graphile-worker per round: throughput ${perRound.map((x) => `×${x}`).join(', ')}`);
for (const t of targets) console.log(`${t.id} ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('graphile', { params: { N, ROUNDS, RATE, LAT_SECONDS, GW_CONCURRENCY, GW_TUNED, HERALD_FLAGS }, loadavg: startLoad, results, ratios: { throughput: tput, p99 }, targets }));
