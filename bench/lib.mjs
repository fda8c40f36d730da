// Shared helpers for the benchmark scripts (they run against the built dist/: `npx tsc -p .` first).
import pg from 'pg';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PG_URL = process.env.HERALD_BENCH_PG_URL ?? process.env.HERALD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Wall clock in fractional ms, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarise(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] };
}

/** min / median / max of repeated runs. */
export function mmm(xs, d = 0) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return '–';
  const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `${round(s[0], d)} / ${round(med, d)} / ${round(s[s.length - 1], d)}`;
}
export function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function pgReachable() {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh, empty PostgreSQL database; returns its URL and a drop function. */
export async function freshPgDatabase(tag) {
  const name = `herald_bench_${tag}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  // BENCH_DB_SETTINGS="name=value;…": per-database settings for a diagnosis run (e.g. log_lock_waits=on).
  for (const kv of (process.env.BENCH_DB_SETTINGS ?? '').split(';').filter(Boolean)) {
    const [k, v] = kv.split('=');
    await admin.query(`ALTER DATABASE "${name}" SET ${k.trim()} = '${v.trim()}'`);
  }
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      // BENCH_KEEP_DB=1 keeps a bench's database for a look afterwards (it prints the name).
      if (process.env.BENCH_KEEP_DB) return console.log('kept database', name);
      const a = new pg.Client({ connectionString: PG_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

/** VACUUM ANALYZE the given tables and CHECKPOINT, as the anchor did before every run. */
export async function settle(client, tables) {
  for (const t of tables) await client.query(`VACUUM ANALYZE ${t}`);
  await client.query('CHECKPOINT').catch(() => undefined); // needs superuser; skipped otherwise
}

/** The webhook sink runs in its own process, as a receiver would. */
export async function startSink() {
  const child = fork(fileURLToPath(new URL('./sink.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve) => child.once('message', (m) => resolve(m.port)));
  const call = (type) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send({ type });
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    stats: () => call('stats'),
    count: async () => (await call('count')).count,
    reset: () => call('reset'),
    sample: async () => (await call('sample')).sample,
    close: () => child.kill(),
  };
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMB(pid = process.pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return NaN;
  }
}

/** CPU seconds used so far by the PostgreSQL backends connected to database `db` (same host). */
export async function pgBackendCpu(client, db) {
  const r = await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db]);
  const m = new Map();
  for (const { pid } of r.rows) m.set(pid, cpuSeconds(pid));
  return m;
}
/** CPU seconds the backends used between two pgBackendCpu snapshots (backends that left count 0). */
export function cpuDelta(before, after) {
  let s = 0;
  for (const [pid, v] of after) if (Number.isFinite(v)) s += v - (before.get(pid) ?? 0);
  return s;
}

/** Samples a process's RSS every `ms` until stopped; returns the peak. */
export function rssSampler(pid, ms = 100) {
  let peak = rssMB(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssMB(pid))), ms);
  return () => {
    clearInterval(t);
    return Math.max(peak, rssMB(pid));
  };
}

/**
 * A Herald replica as its own process: `node bin/herald.js server` against `dbUrl`.
 * Resolves once /healthz answers.
 */
export async function startHerald(dbUrl, flags = {}) {
  const port = await freePort();
  const args = ['bin/herald.js', 'server', '--pg-connection-url', dbUrl, '--http-address', `127.0.0.1:${port}`, '--log-level', 'warn', '--api-rate-limit', '0'];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}`, String(v));
  if (process.env.BENCH_CPU_PROF) args.unshift('--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => {
    const text = String(d).split('\n').filter((l) => l && !l.startsWith('Herald is listening')).join('\n');
    if (text) process.stderr.write(`[herald ${child.pid}] ${text}\n`);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`herald exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/healthz`);
      await r.arrayBuffer();
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('herald did not start');
    await sleep(50);
  }
  return {
    url,
    pid: child.pid,
    rss: () => rssMB(child.pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Migrates a fresh database with Herald's migrations and creates `users` bench users. */
export async function prepareHeraldDb(url, users = 1) {
  const { openPostgres } = await import('../dist/db/postgres.js');
  const { migrate } = await import('../dist/db/migrate.js');
  const db = openPostgres({ url, maxConnections: 4 });
  await migrate(db);
  const ids = (
    await db.query(
      `INSERT INTO users (email, username, name, hashed_password)
       SELECT 'bench' || i || '@example.com', 'bench' || i, 'Bench User ' || i, '\\x'::bytea FROM generate_series(1, $1) AS i
       RETURNING id`,
      [users],
    )
  ).rows.map((r) => r.id);
  await db.close();
  return ids;
}

/**
 * A producer in the bench process: Herald's own enqueuer (dist/) on its own small pool, configured
 * like the replicas (method webhook to `sinkUrl`, or inbox only).
 */
export async function openProducer(url, { sinkUrl, method = 'webhook', maxConnections = 16 } = {}) {
  const { openPostgres } = await import('../dist/db/postgres.js');
  const { resolveConfig } = await import('../dist/server/config.js');
  const { silentLogger } = await import('../dist/lib/logger.js');
  const { createEnqueuer } = await import('../dist/notifications/enqueue.js');
  const db = openPostgres({ url, maxConnections });
  const config = resolveConfig({ flags: heraldFlags(method, sinkUrl, true) });
  const enqueuer = createEnqueuer({ db, notifications: config.notifications, email: config.email, accessUrl: 'http://bench.test', log: silentLogger() });
  return { db, enqueuer, close: () => db.close() };
}

/**
 * Offers `total` calls of `fn(i, t)` at `rate`/s on a fixed schedule (call i due at start + i/rate; a late call
 * does not wait), one at a time; `t` is the stamp taken just before the call. Returns the rate achieved and the
 * calls' durations.
 */
export async function offer(total, rate, fn) {
  const start = now();
  const callMs = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const t = now();
    await fn(i, t);
    callMs.push(now() - t);
  }
  return { achieved: (total / (now() - start)) * 1000, call: summarise(callMs) };
}

/** Waits until the sink has `total` requests (or `ms` passed) and returns its stats. */
export async function waitDelivered(sink, total, ms = 15_000) {
  const deadline = now() + ms;
  while (now() < deadline && (await sink.count()) < total) await sleep(20);
  return sink.stats();
}

/** Config paths for a webhook-only or inbox-only Herald (paths = true) or the matching CLI flags. */
export function heraldFlags(method, sinkUrl, paths = false) {
  const f =
    method === 'webhook'
      ? { 'notifications.method': 'webhook', 'notifications.webhook.endpoint': sinkUrl, 'notifications.inbox.enabled': false }
      : { 'notifications.method': 'smtp', 'notifications.inbox.enabled': true };
  if (paths) return f;
  const names = { 'notifications.method': 'notifications-method', 'notifications.webhook.endpoint': 'notifications-webhook-endpoint', 'notifications.inbox.enabled': 'notifications-inbox-enabled' };
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [names[k], v]));
}

/** Pauses or resumes every replica's dispatcher (as PUT /notifications/settings does, with its wake-up). */
export async function setPaused(q, paused) {
  await q.query(
    `INSERT INTO site_configs (key, value) VALUES ('notifications_settings', $1)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [JSON.stringify({ notifier_paused: paused })],
  );
  if (!paused) await q.query(`SELECT pg_notify('herald_notifications_enqueued', '')`);
}

// ---- The anchor's workload (bench-anchor.md §6): payload, 190-char template, ~1.1 KB body. ----
const NAMES = ['Ada', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Frances'];
export const TEMPLATE_ID = '6b1c1e0a-3b7e-4c44-9a0e-0c1f6f9d7a11';
export function makePayload(i) {
  return {
    name: NAMES[i % NAMES.length],
    order_id: `ORD-${100000 + i}`,
    amount: ((i * 37) % 10000) / 100 + 1,
    currency: 'EUR',
    user_id: crypto.randomUUID(),
    template_id: TEMPLATE_ID,
    locale: 'en-GB',
    tags: ['bench', 'webhook', 'order'],
    note: 'Synthetic payload for the dispatch benchmark; nothing to see here.',
  };
}
export const TEMPLATE =
  'Hello {{name}}, your order {{order_id}} for {{amount}} {{currency}} has been confirmed and is being prepared. ' +
  'Thank you for shopping with us, {{name}}; we will let you know as soon as it ships.';
export const render = (tpl, p) => tpl.replace(/\{\{(\w+)\}\}/g, (_, k) => String(p[k] ?? ''));
export const PADDING = 'x'.repeat(420);
export function makeBody(id, p) {
  return JSON.stringify({ id, method: 'webhook', template_id: p.template_id, user_id: p.user_id, message: render(TEMPLATE, p), payload: p, padding: PADDING });
}
/** Herald's equivalent: the same message text goes through Herald's own template rendering. */
export function heraldLabels(i) {
  const p = makePayload(i);
  return { custom_title: `Order ${p.order_id} confirmed`, custom_message: render(TEMPLATE, p) };
}

export function writeResult(name, data) {
  fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
  fs.writeFileSync(
    file,
    JSON.stringify({ machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() }, ...data }, null, 2),
  );
  return fileURLToPath(file);
}

export function table(rows, columns = Object.keys(rows[0] ?? {})) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals) => vals.map((v, i) => String(v ?? '').padEnd(widths[i])).join('  ');
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
}

export const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
export const loadavg = () => os.loadavg().map((x) => round(x, 1)).join(' ');

export { http };
