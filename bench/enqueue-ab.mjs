// bench/enqueue-ab: batched enqueueMany (500 per call) of two builds of Herald, interleaved batch by batch with the
// batched insert ceiling (bench/ceiling.mjs's anchor-table statement), so that the load of a shared box hits all three
// alike. BENCH_AB_BASE names another built tree (e.g. `git worktree add /tmp/base main && cd /tmp/base && npm ci &&
// npm run build`); this tree is the other side. Each side has its own fresh database migrated by its own build.
// Prints each side's share of the ceiling and this tree ÷ the base (medians over BENCH_ROUNDS rounds of 40 batches).
// Not part of `npm run bench` (it needs a second tree).
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldFlags, heraldLabels, loadavg, makePayload, median, now, round, settle, writeResult } from './lib.mjs';

const BASE = process.env.BENCH_AB_BASE;
if (!BASE) throw new Error('BENCH_AB_BASE: the path of the other built tree');
const ROOTS = { base: path.resolve(BASE), this: fileURLToPath(new URL('..', import.meta.url)) };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const B = 40;
const ceilSql = `INSERT INTO bench_ceiling (id, template_id, user_id, method, payload, dedupe_hash)
  SELECT id, tpl, uid, 'webhook', p, h FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::jsonb[], $5::text[]) AS x(id, tpl, uid, p, h)`;

const dbs = [];
const side = {};
const out = { ceiling: [], base: [], this: [] };
console.log(`bench/enqueue-ab: base ${ROOTS.base}, this ${ROOTS.this}; load average before: ${loadavg()}`);
try {
  for (const [k, root] of Object.entries(ROOTS)) {
    const f = await freshPgDatabase(`ab_${k}`);
    dbs.push(f);
    const { openPostgres } = await import(path.join(root, 'dist/db/postgres.js'));
    const { migrate } = await import(path.join(root, 'dist/db/migrate.js'));
    const { resolveConfig } = await import(path.join(root, 'dist/server/config.js'));
    const { silentLogger } = await import(path.join(root, 'dist/lib/logger.js'));
    const { createEnqueuer } = await import(path.join(root, 'dist/notifications/enqueue.js'));
    const db = openPostgres({ url: f.url, maxConnections: 16 });
    await migrate(db);
    const uid = (await db.query(`INSERT INTO users (email, username, name, hashed_password) VALUES ('bench1@example.com', 'bench1', 'Bench User 1', '\\x'::bytea) RETURNING id`)).rows[0].id;
    const config = resolveConfig({ flags: heraldFlags('webhook', 'http://127.0.0.1:9/none', true) });
    const enqueuer = createEnqueuer({ db, notifications: config.notifications, email: config.email, accessUrl: 'http://bench.test', log: silentLogger() });
    const admin = new pg.Client({ connectionString: f.url });
    await admin.connect();
    side[k] = { db, enqueuer, uid, admin };
  }
  const cc = new pg.Client({ connectionString: dbs[0].url });
  await cc.connect();
  await cc.query(`CREATE TABLE bench_ceiling (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), template_id uuid, user_id uuid, method text,
    status text DEFAULT 'pending', payload jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz,
    leased_until timestamptz, attempt_count int DEFAULT 0, dedupe_hash text UNIQUE)`);
  let seq = 0;
  const req = (uid) => ({ userId: uid, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(seq), data: { i: seq++ }, createdBy: 'bench' });
  // Warm up both (JIT, pool, prepared plans, caches).
  for (const s of Object.values(side)) {
    await s.enqueuer.enqueueMany(Array.from({ length: 100 }, () => req(s.uid)));
    for (let i = 0; i < 20; i++) await s.enqueuer.enqueueMany([req(s.uid)]);
  }
  const names = Object.keys(out);
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of Object.values(side)) {
      await s.admin.query('TRUNCATE notification_messages');
      await settle(s.admin, ['notification_messages']);
    }
    await cc.query('TRUNCATE bench_ceiling');
    await settle(cc, ['bench_ceiling']);
    // As in bench/enqueue.mjs: the ceiling's batches and the enqueuers' requests are made before the clock.
    const ceil = Array.from({ length: B }, () => {
      const b = [[], [], [], [], []];
      for (let j = 0; j < 500; j++) {
        b[0].push(crypto.randomUUID());
        b[1].push(crypto.randomUUID());
        b[2].push(side.base.uid);
        b[3].push(JSON.stringify(makePayload(seq++)));
        b[4].push(crypto.randomUUID().replace(/-/g, '') + crypto.randomUUID().replace(/-/g, ''));
      }
      return b;
    });
    const reqs = { base: [], this: [] };
    for (const k of Object.keys(reqs)) for (let i = 0; i < B; i++) reqs[k].push(Array.from({ length: 500 }, () => req(side[k].uid)));
    const ms = { ceiling: 0, base: 0, this: 0 };
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < names.length; j++) {
        const k = names[(i + j) % names.length];
        const t0 = now();
        if (k === 'ceiling') await cc.query({ name: 'ceiling_raw', text: ceilSql, values: ceil[i] });
        else {
          const n = (await side[k].enqueuer.enqueueMany(reqs[k][i])).flat().length;
          if (n !== 500) throw new Error(`${k}: ${n}/500 inserted`);
        }
        ms[k] += now() - t0;
      }
    }
    for (const k of names) out[k].push(((B * 500) / ms[k]) * 1000);
    console.log(`  round ${r + 1}: ceiling ${round(out.ceiling.at(-1), 0)}/s, base ${round(out.base.at(-1), 0)}/s (${round((ms.ceiling / ms.base) * 100, 0)} %), this ${round(out.this.at(-1), 0)}/s (${round((ms.ceiling / ms.this) * 100, 0)} %)`);
  }
  await cc.end();
  for (const s of Object.values(side)) {
    await s.admin.end();
    await s.db.close();
  }
} finally {
  for (const d of dbs) await d.drop();
}
const m = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
console.log(
  `\nbench/enqueue-ab — ${ROUNDS} rounds of ${B} × 500, medians: ceiling ${round(m.ceiling, 0)}/s; base ${round(m.base, 0)}/s = ${round((m.base / m.ceiling) * 100, 0)} % of it; ` +
    `this ${round(m.this, 0)}/s = ${round((m.this / m.ceiling) * 100, 0)} %; this ÷ base ×${round(m.this / m.base, 3)}; load average now ${loadavg()}`,
);
console.log('wrote', writeResult('enqueue-ab', { params: { ROUNDS, B, roots: ROOTS }, ...out, median: m }));
