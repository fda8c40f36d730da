// bench/inbox-watch (issue 24 target 6): 10,000 WebSocket inbox watchers (one per user) across 2
// replica processes on one PostgreSQL; a producer enqueues inbox notifications to random watched
// users at RATE/s; latency is enqueue → frame received by the watcher (the frame's content carries
// the enqueue time). Also the replicas' RSS (idle, with the watchers connected, peak during the run)
// and the NOTIFYs on the inbox channel per inbox row written (a LISTEN in the bench process).
// The watchers live in BENCH_WATCH_CLIENTS worker threads (default 2), not on the thread that runs
// the producer: 10,000 sockets' frames and pongs on one loop with the producer delayed the frames'
// reception, and that delay was counted as the server's.
import pg from 'pg';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldFlags, loadavg, now, openProducer, prepareHeraldDb, round, rssSampler, sleep, startHerald, summarise, table, writeResult } from './lib.mjs';

if (!isMainThread) {
  // A client thread: opens its share of the watchers, reports each frame's latency and count.
  const { urls } = workerData;
  const sockets = [];
  const connect = (url) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on('message', (data) => {
        const at = now();
        const t = Number(JSON.parse(String(data)).notification?.content);
        parentPort.postMessage({ frame: t > 0 ? at - t : null });
      });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  // 100 at a time per thread: 10,000 handshakes at once overflow the listen backlog.
  for (let i = 0; i < urls.length; i += 100) sockets.push(...(await Promise.all(urls.slice(i, i + 100).map(connect))));
  parentPort.postMessage({ open: sockets.length });
  parentPort.on('message', () => {
    for (const ws of sockets) ws.terminate();
    parentPort.postMessage({ closed: true });
  });
} else {
const CLIENTS = Math.max(1, Number(process.env.BENCH_WATCH_CLIENTS ?? 2));
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 10000);
const RATE = Number(process.env.BENCH_WATCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_WATCH_SECONDS ?? 10);
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const rand = (n) => Array.from(crypto.randomBytes(n), (b) => ALPHA[b % ALPHA.length]).join('');

const fresh = await freshPgDatabase('watch');
let result;
try {
  const userIds = await prepareHeraldDb(fresh.url, WATCHERS);
  const admin = new pg.Client({ connectionString: fresh.url });
  admin.on('error', () => undefined);
  await admin.connect();
  let notifies = 0;
  admin.on('notification', (m) => {
    if (m.channel === 'herald_inbox') notifies++;
  });
  await admin.query('LISTEN herald_inbox');
  // One session token per user, written directly (password login would hash 1,000 passwords).
  const tokens = userIds.map(() => ({ id: rand(10), secret: rand(22) }));
  await admin.query(
    `INSERT INTO api_keys (id, hashed_secret, user_id, expires_at, login_type, lifetime_seconds)
     SELECT id, decode(h, 'hex'), uid, now() + interval '1 day', 'password', 86400 FROM unnest($1::text[], $2::text[], $3::uuid[]) AS x(id, h, uid)`,
    [tokens.map((t) => t.id), tokens.map((t) => crypto.createHash('sha256').update(t.secret).digest('hex')), userIds],
  );
  const replicas = await Promise.all([0, 1].map(() => startHerald(fresh.url, heraldFlags('inbox'))));
  await sleep(300);
  const idle = replicas.map((r) => r.rss());
  console.log(`bench/inbox-watch: load average before: ${loadavg()}`);
  const latencies = [];
  let frames = 0;
  // Watcher i is on replica i % 2, in client thread i % CLIENTS.
  const urls = userIds.map((_, i) => `${replicas[i % 2].url.replace('http', 'ws')}/api/v2/notifications/inbox/watch?coder_session_token=${tokens[i].id}-${tokens[i].secret}`);
  const clients = Array.from({ length: CLIENTS }, (_, c) => new Worker(new URL(import.meta.url), { workerData: { urls: urls.filter((_, i) => i % CLIENTS === c) } }));
  await Promise.all(
    clients.map(
      (w) =>
        new Promise((resolve, reject) => {
          w.on('message', (m) => {
            if ('frame' in m) {
              frames++;
              if (m.frame !== null) latencies.push(m.frame);
            } else if ('open' in m) resolve();
          });
          w.once('error', reject);
        }),
    ),
  );
  await sleep(500);
  const withWatchers = replicas.map((r) => r.rss());
  const samplers = replicas.map((r) => rssSampler(r.pid));
  const prod = await openProducer(fresh.url, { method: 'inbox', maxConnections: 2 });
  const total = RATE * SECONDS;
  const start = now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / RATE - now();
    if (wait > 0) await sleep(wait);
    const t = now();
    await prod.enqueuer.enqueueMany([{ userId: userIds[crypto.randomInt(userIds.length)], templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: `watch ${i}`, custom_message: String(t) }, createdBy: 'bench' }]);
  }
  const achieved = (total / (now() - start)) * 1000;
  const deadline = now() + 15_000;
  while (now() < deadline && latencies.length < total) await sleep(20);
  const s = summarise(latencies);
  const notifiesSteady = notifies;
  const framesSteady = frames;
  const rowsSteady = (await admin.query(`SELECT count(*)::int AS n FROM inbox_notifications`)).rows[0].n;
  // A burst: BURST rows enqueued in batches of 500, delivered in lease batches; NOTIFYs per row written.
  const BURST = Number(process.env.BENCH_WATCH_BURST ?? 2000);
  notifies = 0;
  const framesBefore = frames;
  const burstStart = now();
  for (let i = 0; i < BURST; i += 500) {
    await prod.enqueuer.enqueueMany(
      Array.from({ length: Math.min(500, BURST - i) }, (_, j) => ({ userId: userIds[crypto.randomInt(userIds.length)], templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: `burst ${i + j}`, custom_message: 'burst' }, createdBy: 'bench' })),
    );
  }
  const burstDeadline = now() + 60_000;
  while (now() < burstDeadline && frames - framesBefore < BURST) await sleep(20);
  const burstMs = now() - burstStart;
  await sleep(200);
  const burstFrames = frames - framesBefore;
  const burstNotifies = notifies;
  const burstRows = (await admin.query(`SELECT count(*)::int AS n FROM inbox_notifications`)).rows[0].n - rowsSteady;
  const peak = samplers.map((s) => s());
  await Promise.all(clients.map((w) => new Promise((resolve) => { w.on('message', (m) => m.closed && resolve()); w.postMessage('close'); })));
  await Promise.all(clients.map((w) => w.terminate()));
  await prod.close();
  await Promise.all(replicas.map((r) => r.stop()));
  await admin.end();
  result = { watchers: WATCHERS, rate: RATE, achieved, frames: framesSteady, total, ...s, idle, withWatchers, peak, notifiesSteady, rowsSteady, burst: { rows: burstRows, frames: burstFrames, notifies: burstNotifies, ms: burstMs } };
} catch (err) {
  console.error('bench/inbox-watch failed:', err);
  process.exitCode = 1;
} finally {
  await fresh.drop();
}
if (!result) process.exit(1);
console.log(`\nbench/inbox-watch — ${WATCHERS} watchers on 2 replicas (processes), ${RATE} notifications/s for ${SECONDS}s, clients in ${CLIENTS} threads\n`);
table([
  {
    'offered/s': result.rate,
    'achieved/s': round(result.achieved, 0),
    frames: `${result.frames}/${result.total}`,
    'p50 ms': round(result.p50, 2),
    'p95 ms': round(result.p95, 2),
    'p99 ms': round(result.p99, 2),
    'max ms': round(result.max, 1),
    'RSS idle MB': result.idle.map((x) => round(x, 0)).join(' / '),
    'RSS with watchers MB': result.withWatchers.map((x) => round(x, 0)).join(' / '),
    'RSS peak MB': result.peak.map((x) => round(x, 0)).join(' / '),
  },
]);
const peakMax = Math.max(...result.peak);
const targets = [
  { id: '24.6a', label: `inbox watch p99, ${WATCHERS} watchers on 2 replicas at ${RATE}/s`, figure: `${round(result.p99, 1)} ms`, value: round(result.p99, 1), target: '< 100 ms', met: result.p99 < 100 && result.frames >= result.total },
  { id: '24.6b', label: `RSS per replica with ${WATCHERS / 2} watchers, peak`, figure: `${round(peakMax, 0)} MB`, value: round(peakMax, 0), target: '≤ 400 MB', met: peakMax <= 400 },
  {
    id: '24.6c',
    label: `inbox NOTIFYs per row, burst of ${result.burst.rows} rows (lease batches of 50)`,
    figure: `${result.burst.notifies} / ${result.burst.rows} = ${round(result.burst.notifies / result.burst.rows, 3)}`,
    value: round(result.burst.notifies / result.burst.rows, 3),
    target: '≤ 0.1 (one per batch, not per row)',
    met: result.burst.notifies / result.burst.rows <= 0.1 && result.burst.frames >= result.burst.rows,
  },
];
console.log(`\nsteady ${RATE}/s: ${result.notifiesSteady} NOTIFYs for ${result.rowsSteady} inbox rows (one enqueue at a time: batches of ~1); burst: ${result.burst.notifies} NOTIFYs for ${result.burst.rows} rows, ${result.burst.frames} frames in ${round(result.burst.ms, 0)} ms; load average after: ${loadavg()}`);
console.log('');
for (const t of targets) console.log(`${t.id}  ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('inbox-watch', { ...result, clients: CLIENTS, targets }));
}
