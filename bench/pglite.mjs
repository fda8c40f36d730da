// bench/pglite (issue 24 target 5): the embedded default. An in-process server on a PGlite data
// directory (as `herald server` without --pg-connection-url opens it): enqueue and dispatch rates,
// enqueue→delivered latency at RATE/s for the inbox (received over a real inbox WebSocket watch)
// and for a webhook sink, and the process RSS under that load; first, the cold start of
// `herald server` on a fresh data directory to /healthz 200 (ROUNDS separate processes), measured
// before the load phases and after a `sync`: a start right after them ran while the kernel wrote back
// the ~100 MB their data directories (and the scripts before this one) left dirty, 0.15–0.9 s slower,
// which is the bench's doing, not a first start's (docs/performance.md, 24.5c).
// Prints figures, targets and verdicts (24.5a..24.5d) and writes JSON to bench/results/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { resolveConfig } from '../dist/server/config.js';
import { silentLogger } from '../dist/lib/logger.js';
import { startServer } from '../dist/server/server.js';
import { openPGlite, PGLITE_SNAPSHOT } from '../dist/db/pglite.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freePort, loadavg, median, mmm, now, ROOT, round, setPaused, sleep, startSink, summarise, table, writeResult } from './lib.mjs';

const N = Number(process.env.BENCH_PGLITE_N ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const LAT_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 5);
// BENCH_PGLITE_METHODS=inbox (or webhook) runs one method only, e.g. under --cpu-prof.
const METHODS = (process.env.BENCH_PGLITE_METHODS ?? 'inbox,webhook').split(',');

if (!fs.existsSync(PGLITE_SNAPSHOT)) {
  console.log('bench/pglite: building the embedded snapshot (npm run build does this)');
  await import('../scripts/pglite-snapshot.mjs');
}
console.log(`bench/pglite: load average before: ${loadavg()}`);

// Data directories are removed when the script ends, not between rounds: removing ~1,300 files just
// before a start slowed that start's own file creation several times over (the snapshot's unpacking
// took 1.5–2 s instead of ~0.1–0.2 s on this machine's ext4), which is the bench's doing, not a
// first start's.
const leftovers = [];
process.on('exit', () => {
  for (const d of leftovers) fs.rmSync(d, { recursive: true, force: true });
});

async function run(method, sink) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-pglite-'));
  const db = await openPGlite(dataDir);
  const config = resolveConfig({
    flags: {
      httpAddress: '127.0.0.1:0',
      accessUrl: 'http://bench.test',
      dataDir,
      'notifications.method': method === 'webhook' ? 'webhook' : 'smtp',
      'notifications.webhook.endpoint': method === 'webhook' ? sink.url : '',
      'notifications.inbox.enabled': method === 'inbox',
      apiRateLimit: 0,
    },
  });
  const server = await startServer({ config, log: silentLogger(), db });
  const enq = server.enqueuer;
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 1e6)), 100);
  try {
    const userId = (await db.query(`INSERT INTO users (email, username, hashed_password) VALUES ('b@example.com', 'bench', '\\x') RETURNING id`)).rows[0].id;
    const key = { id: crypto.randomBytes(5).toString('hex'), secret: crypto.randomBytes(11).toString('hex') };
    await db.query(
      `INSERT INTO api_keys (id, hashed_secret, user_id, expires_at, login_type, lifetime_seconds) VALUES ($1, decode($2, 'hex'), $3, now() + interval '1 day', 'password', 86400)`,
      [key.id, crypto.createHash('sha256').update(key.secret).digest('hex'), userId],
    );
    const sentCount = async () => (await db.query(`SELECT count(*)::int AS n FROM notification_messages WHERE status = 'sent'`)).rows[0].n;
    const send = (i, t = 0) =>
      enq.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: `bench ${i}`, custom_message: String(t || i) }, data: { enq: t, i }, createdBy: 'bench' }]);

    // 1. Enqueue throughput (dispatcher paused), 16 concurrent producers.
    await setPaused(db, true);
    let next = 0;
    const t0 = now();
    await Promise.all(Array.from({ length: 16 }, async () => { while (next < N) await send(next++); }));
    const enqueueSeconds = (now() - t0) / 1000;

    // 2. Dispatch throughput: resume and wait until every message is sent.
    if (sink) await sink.reset();
    const t1 = now();
    await setPaused(db, false);
    while ((await sentCount()) < N) await sleep(10);
    const dispatchSeconds = (now() - t1) / 1000;

    // 3. Latency at a fixed offered rate, one enqueue at a time; inbox frames over a real watch.
    if (sink) await sink.reset();
    const inboxLat = [];
    let ws;
    if (method === 'inbox') {
      ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v2/notifications/inbox/watch?coder_session_token=${key.id}-${key.secret}`);
      ws.on('message', (data) => {
        const at = now();
        const t = Number(JSON.parse(String(data)).notification?.content);
        if (t > 0) inboxLat.push(at - t);
      });
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    }
    rssPeak = 0;
    const total = RATE * LAT_SECONDS;
    const start = now();
    for (let i = 0; i < total; i++) {
      const wait = start + (i * 1000) / RATE - now();
      if (wait > 0) await sleep(wait);
      send(N + i, now()).catch((err) => console.error("enqueue failed:", err.message));
    }
    const achieved = (total / (now() - start)) * 1000;
    const deadline = now() + 20_000;
    while (now() < deadline) {
      const got = method === 'inbox' ? inboxLat.length : (await sink.stats()).count;
      if (got >= total) break;
      await sleep(20);
    }
    ws?.terminate();
    const lat = summarise(method === 'inbox' ? inboxLat : (await sink.stats()).latencies);
    return { method, messages: N, enqueue: N / enqueueSeconds, dispatch: N / dispatchSeconds, rate: RATE, achieved, ...lat, total, rssPeak };
  } finally {
    clearInterval(sampler);
    await server.stop();
    await db.close();
    leftovers.push(dataDir);
  }
}

/** `herald server` on a fresh data directory: spawn → /healthz 200, and its RSS then. */
async function coldStart() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-cold-'));
  const port = await freePort();
  const t0 = now();
  const child = spawn(process.execPath, ['bin/herald.js', 'server', '--data-dir', path.join(dataDir, 'data'), '--http-address', `127.0.0.1:${port}`, '--log-level', 'warn'], { cwd: ROOT, stdio: 'ignore' });
  let ms;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`herald exited with ${child.exitCode}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        await r.arrayBuffer();
        if (r.ok) break;
      } catch {}
      if (now() - t0 > 120_000) throw new Error('herald did not start');
      await sleep(10);
    }
    ms = now() - t0;
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    leftovers.push(dataDir);
  }
  return ms;
}

// Each method runs in a process of its own, as `herald server` holds one engine: run one after the
// other in one process, the second's RSS also held the first's closed engine (its WebAssembly memory
// not yet collected): webhook 423 MB after inbox against 340 MB alone (docs/performance.md, twelfth round).
if (process.argv[2] === 'run') {
  const method = process.argv[3];
  const sink = method === 'webhook' ? await startSink() : undefined;
  try {
    process.send(await run(method, sink));
  } finally {
    sink?.close();
  }
  process.exit(0);
}

execFileSync('sync');
const cold = [];
for (let i = 0; i < ROUNDS; i++) cold.push(await coldStart());

const rows = [];
for (const method of METHODS) {
  const child = fork(fileURLToPath(import.meta.url), ['run', method], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const row = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bench/pglite ${method} run exited with ${code}`)));
  });
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  rows.push(row);
}

console.log(`\nbench/pglite — embedded PGlite data directory, ${N} messages, latency at ${RATE}/s for ${LAT_SECONDS}s; load average now: ${loadavg()}\n`);
table(
  rows.map((r) => ({
    method: r.method,
    'enqueue/s': round(r.enqueue, 0),
    'dispatch/s': round(r.dispatch, 0),
    'offered/s': r.rate,
    'achieved/s': round(r.achieved, 0),
    delivered: `${r.n}/${r.total}`,
    'p50 ms': round(r.p50, 1),
    'p95 ms': round(r.p95, 1),
    'p99 ms': round(r.p99, 1),
    'max ms': round(r.max, 1),
    'RSS peak MB': round(r.rssPeak, 0),
  })),
);
console.log(`\ncold start of herald server on a fresh data directory to /healthz, ${ROUNDS} processes: min / median / max ${mmm(cold, 0)} ms`);

const inbox = rows.find((r) => r.method === 'inbox');
const webhook = rows.find((r) => r.method === 'webhook');
const rssMax = Math.max(...rows.map((r) => r.rssPeak));
const coldMed = median(cold);
const latTarget = (r, id) => ({
  id,
  label: `PGlite ${r.method} p99 at ${RATE}/s`,
  figure: `${round(r.p99, 1)} ms`,
  value: round(r.p99, 1),
  target: '≤ 100 ms',
  met: r.p99 <= 100 && r.n >= r.total,
});
const targets = [
  ...(inbox ? [latTarget(inbox, '24.5a')] : []),
  ...(webhook ? [latTarget(webhook, '24.5b')] : []),
  { id: '24.5c', label: 'PGlite cold start to /healthz, fresh data directory (median)', figure: `${round(coldMed, 0)} ms`, value: round(coldMed, 0), target: '≤ 2000 ms', met: coldMed <= 2000 },
  { id: '24.5d', label: `PGlite RSS under ${RATE}/s (a process with the server and engine, one per method)`, figure: `${round(rssMax, 0)} MB`, value: round(rssMax, 0), target: '≤ 400 MB', met: rssMax <= 400 },
];
console.log('');
for (const t of targets) console.log(`${t.id}  ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('pglite', { params: { N, RATE, LAT_SECONDS, ROUNDS }, rows, cold, targets }));
process.exit(0);
