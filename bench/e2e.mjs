// bench/e2e: end to end (issue 24 target 2). One producer enqueues one event at a time, as fast as
// it can (each call awaited before the next), while a worker delivers to the sink: Herald's
// `enqueueMany([one])` with one replica process (defaults, webhook) against graphile-worker's
// `addJob` with its tuned worker (bench/graphile-worker.mjs), same sink, same payload, same
// PostgreSQL, interleaved rounds. Rate = events / time from the first enqueue until the sink has
// received every one. A third side, the durable floor, is what any producer that awaits one durable
// commit per event can reach here: a plain client inserting one row per autocommit statement into
// the anchor's table, serially, with no worker and no queue code (the rate no design with a
// durable, awaited enqueue exceeds on this box).
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

async function floor(f) {
  const c = new pg.Client({ connectionString: f.url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE IF NOT EXISTS bench_floor (id uuid PRIMARY KEY, payload jsonb, created_at timestamptz DEFAULT now(), dedupe_hash text UNIQUE)`);
    await c.query('TRUNCATE bench_floor');
    await settle(c, ['bench_floor']);
    const text = 'INSERT INTO bench_floor (id, payload, dedupe_hash) VALUES ($1, $2, $3)';
    const t0 = now();
    for (let i = 0; i < N; i++) await c.query({ name: 'floor', text, values: [crypto.randomUUID(), JSON.stringify(makePayload(i)), `${crypto.randomUUID()}${i}`] });
    const ms = now() - t0;
    return { perSec: (N / ms) * 1000, enqueuePerSec: (N / ms) * 1000, ms, delivered: '–' };
  } finally {
    await c.end();
  }
}

const hdb = await freshPgDatabase('e2e_herald');
const gdb = await freshPgDatabase('e2e_graphile');
const sink = await startSink();
const res = { herald: [], graphile: [], floor: [] };
const load = loadavg();
console.log(`bench/e2e: load average before: ${load}`);
try {
  const [userId] = await prepareHeraldDb(hdb.url, 1);
  const h = { url: hdb.url, userId };
  const g = { url: gdb.url };
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of r % 2 ? ['graphile', 'floor', 'herald'] : ['herald', 'floor', 'graphile']) {
      res[side].push(side === 'herald' ? await herald(h, sink) : side === 'graphile' ? await graphile(g, sink) : await floor(g));
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
  ['durable floor (one INSERT + commit per event, serial, no worker)', res.floor],
].map(([system, rs]) => ({ system, 'delivered/s end to end': mmm(rs.map((x) => x.perSec)), 'producer calls/s': mmm(rs.map((x) => x.enqueuePerSec)), delivered: rs.map((x) => `${x.delivered}/${N}`).join(' '), 'duplicate ids': rs.map((x) => x.duplicates ?? '–').join(' ') })));
const floorRatio = median(res.floor.map((x) => x.perSec)) / median(res.graphile.map((x) => x.perSec));
console.log(`durable floor ÷ graphile-worker end to end: ×${round(floorRatio, 2)} (the most a producer awaiting one durable commit per event reaches here; the target asks ×${TARGET})`);
const targets = [{ id: '24.2', label: 'end to end (single enqueue + delivery) vs graphile-worker', figure: `×${round(ratio, 2)} (durable floor ×${round(floorRatio, 2)})`, value: ratio, target: `≥ ×${TARGET}`, met: ratio >= TARGET }];
for (const t of targets) console.log(`${t.id} ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('e2e', { params: { N, ROUNDS, GW_CONCURRENCY, HERALD_FLAGS }, loadavg: load, results: res, ratios: { e2e: ratio, floor: floorRatio }, targets }));
