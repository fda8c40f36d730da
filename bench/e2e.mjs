// bench/e2e: end to end (issue 24 target 2). One producer enqueues one event at a time, as fast as
// it can (each call awaited before the next), while a worker delivers to the sink: Herald's
// `enqueueMany([one])` with one replica process (defaults, webhook) against graphile-worker's
// `addJob` with its tuned worker (bench/graphile-worker.mjs), same sink, same payload, same
// PostgreSQL, interleaved rounds. Rate = events / time from the first enqueue until the sink has
// received every one.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { makeWorkerUtils } from 'graphile-worker';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import {
  freshPgDatabase, heraldFlags, heraldLabels, loadavg, makePayload, median, mmm, now, openProducer, prepareHeraldDb, round,
  setPaused, settle, sleep, startHerald, startSink, table, writeResult,
} from './lib.mjs';

const N = Number(process.env.BENCH_E2E_N ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GW_CONCURRENCY = Number(process.env.BENCH_GW_CONCURRENCY ?? 24);
const HERALD_FLAGS = JSON.parse(process.env.BENCH_HERALD_FLAGS ?? '{}');
const TARGET = 2;

async function untilReceived(sink, n, ms = 60_000) {
  const deadline = now() + ms;
  let c = 0;
  while (now() < deadline && (c = await sink.count()) < n) await sleep(5);
  return c;
}

async function herald(h, sink) {
  const admin = new pg.Client({ connectionString: h.url });
  await admin.connect();
  await admin.query('DELETE FROM notification_messages');
  await setPaused(admin, false);
  await settle(admin, ['notification_messages']);
  const replica = await startHerald(h.url, { ...heraldFlags('webhook', sink.url), ...HERALD_FLAGS });
  const prod = await openProducer(h.url, { sinkUrl: sink.url, maxConnections: 2 });
  try {
    const one = (i) => prod.enqueuer.enqueueMany([{ userId: h.userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { i }, createdBy: 'bench' }]);
    await sink.reset();
    for (let i = 0; i < 20; i++) await one(1e6 + i); // warm both sides
    await untilReceived(sink, 20);
    await sink.reset();
    const t0 = now();
    for (let i = 0; i < N; i++) await one(i);
    const enqMs = now() - t0;
    const got = await untilReceived(sink, N);
    const ms = now() - t0;
    await sleep(200);
    const st = await sink.stats();
    return { perSec: (N / ms) * 1000, enqueuePerSec: (N / enqMs) * 1000, ms, delivered: st.count, duplicates: st.duplicates };
  } finally {
    await prod.close();
    await replica.stop();
    await admin.end();
  }
}

async function graphile(g, sink) {
  const child = fork(fileURLToPath(new URL('./graphile-worker.mjs', import.meta.url)), [], {
    env: { ...process.env, GW_URL: g.url, GW_MODE: 'latency', GW_N: String(N), GW_CONCURRENCY: String(GW_CONCURRENCY), GW_TUNED: '1', GW_SINK: sink.url },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise((resolve, reject) => {
    child.on('message', (m) => m.type === 'ready' && resolve());
    exited.then((c) => reject(new Error(`graphile-worker child exited (${c})`)));
  });
  await sink.reset();
  const utils = await makeWorkerUtils({ connectionString: g.url });
  try {
    await utils.withPgClient((c) => c.query('SELECT 1'));
    const t0 = now();
    for (let i = 0; i < N; i++) await utils.addJob('webhook', makePayload(i));
    const enqMs = now() - t0;
    const got = await untilReceived(sink, N);
    const ms = now() - t0;
    await Promise.race([exited, sleep(5000)]);
    child.kill();
    return { perSec: (N / ms) * 1000, enqueuePerSec: (N / enqMs) * 1000, ms, delivered: got };
  } finally {
    await utils.release();
  }
}

const hdb = await freshPgDatabase('e2e_herald');
const gdb = await freshPgDatabase('e2e_graphile');
const sink = await startSink();
const res = { herald: [], graphile: [] };
const load = loadavg();
console.log(`bench/e2e: load average before: ${load}`);
try {
  const [userId] = await prepareHeraldDb(hdb.url, 1);
  const h = { url: hdb.url, userId };
  const g = { url: gdb.url };
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of r % 2 ? ['graphile', 'herald'] : ['herald', 'graphile']) {
      res[side].push(side === 'herald' ? await herald(h, sink) : await graphile(g, sink));
      const x = res[side].at(-1);
      console.log(`  round ${r + 1} ${side}: ${round(x.perSec, 0)}/s end to end (enqueue ${round(x.enqueuePerSec, 0)}/s, ${x.delivered}/${N} delivered${x.duplicates ? `, ${x.duplicates} duplicate ids` : ''})`);
    }
  }
} finally {
  sink.close();
  await hdb.drop().catch(() => undefined);
  await gdb.drop().catch(() => undefined);
}

const ratio = median(res.herald.map((x) => x.perSec)) / median(res.graphile.map((x) => x.perSec));
console.log(`\nbench/e2e — one producer, one event per call, ${N} events per round, ${ROUNDS} interleaved rounds (min / median / max)\n`);
table([
  ['Herald (enqueueMany([one]) + 1 replica)', res.herald],
  [`graphile-worker 0.17 (addJob + tuned worker c${GW_CONCURRENCY})`, res.graphile],
].map(([system, rs]) => ({ system, 'delivered/s end to end': mmm(rs.map((x) => x.perSec)), 'producer calls/s': mmm(rs.map((x) => x.enqueuePerSec)), delivered: rs.map((x) => `${x.delivered}/${N}`).join(' '), 'duplicate ids': rs.map((x) => x.duplicates ?? '–').join(' ') })));
const targets = [{ id: '24.2', label: 'end to end (single enqueue + delivery) vs graphile-worker', figure: `×${round(ratio, 2)}`, value: ratio, target: `≥ ×${TARGET}`, met: ratio >= TARGET }];
for (const t of targets) console.log(`${t.id} ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('e2e', { params: { N, ROUNDS, GW_CONCURRENCY, HERALD_FLAGS }, loadavg: load, results: res, ratios: { e2e: ratio }, targets }));
