// bench/ceiling: the insert-and-commit ceiling of this PostgreSQL for Herald's rows, no queue code:
// the anchor's table (bench-anchor.md §2) and Herald's real notification_messages table (with its
// indexes and triggers), one client, batches of BATCH rows as one `INSERT … SELECT FROM unnest(...)`
// autocommit statement each. Exported for bench/enqueue.mjs, which reports enqueue as a share of it.
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { freshPgDatabase, makePayload, mmm, median, now, prepareHeraldDb, round, settle, table, writeResult } from './lib.mjs';

export const ROWS = Number(process.env.BENCH_CEILING_ROWS ?? 20000);
export const BATCH = 500;

/** One timed run: rows/s for `rows` rows in batches of BATCH. */
export async function ceilingRun(url, { herald = false, userId } = {}) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const table_ = herald ? 'notification_messages' : 'bench_ceiling';
    if (!herald) {
      await c.query(`CREATE TABLE IF NOT EXISTS bench_ceiling (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(), template_id uuid, user_id uuid, method text,
        status text DEFAULT 'pending', payload jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz,
        leased_until timestamptz, attempt_count int DEFAULT 0, dedupe_hash text UNIQUE)`);
    }
    await c.query(`TRUNCATE ${table_}`);
    await settle(c, [table_]);
    const tpl = herald ? (await c.query(`SELECT id FROM notification_templates WHERE kind = 'custom' LIMIT 1`)).rows[0].id : crypto.randomUUID();
    const uid = userId ?? crypto.randomUUID();
    const batches = [];
    for (let i = 0; i < ROWS; i += BATCH) {
      const b = { id: [], tpl: [], user: [], payload: [], hash: [] };
      for (let j = i; j < Math.min(ROWS, i + BATCH); j++) {
        b.id.push(crypto.randomUUID());
        b.tpl.push(tpl);
        b.user.push(uid);
        b.payload.push(JSON.stringify(makePayload(j)));
        b.hash.push(crypto.randomUUID().replace(/-/g, '') + crypto.randomUUID().replace(/-/g, ''));
      }
      batches.push(b);
    }
    const sql = herald
      ? `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
         SELECT id, tpl, uid, 'webhook', p, 'ceiling' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::jsonb[]) AS x(id, tpl, uid, p)`
      : `INSERT INTO bench_ceiling (id, template_id, user_id, method, payload, dedupe_hash)
         SELECT id, tpl, uid, 'webhook', p, h FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::jsonb[], $5::text[]) AS x(id, tpl, uid, p, h)`;
    const name = herald ? 'ceiling_herald' : 'ceiling_raw';
    const t0 = now();
    for (const b of batches) {
      await c.query({ name, text: sql, values: herald ? [b.id, b.tpl, b.user, b.payload] : [b.id, b.tpl, b.user, b.payload, b.hash] });
    }
    const ms = now() - t0;
    const n = (await c.query(`SELECT count(*)::int AS n FROM ${table_}`)).rows[0].n;
    if (n !== ROWS) throw new Error(`expected ${ROWS} rows, found ${n}`);
    await c.query(`TRUNCATE ${table_}`);
    return (ROWS / ms) * 1000;
  } finally {
    await c.end();
  }
}

export const SINGLE_ROWS = Number(process.env.BENCH_CEILING_SINGLE_ROWS ?? 5000);
export const SINGLE_CLIENTS = 16;

/**
 * The single-row ceiling: `clients` connections each inserting one row per autocommit statement
 * (prepared, the anchor table's columns) as fast as they can, `rows` in all; rows/s.
 */
export async function singleCeilingRun(url, { rows = SINGLE_ROWS, clients = SINGLE_CLIENTS } = {}) {
  const cs = await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  try {
    await cs[0].query(`CREATE TABLE IF NOT EXISTS bench_ceiling (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(), template_id uuid, user_id uuid, method text,
      status text DEFAULT 'pending', payload jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz,
      leased_until timestamptz, attempt_count int DEFAULT 0, dedupe_hash text UNIQUE)`);
    await cs[0].query('TRUNCATE bench_ceiling');
    await settle(cs[0], ['bench_ceiling']);
    const tpl = crypto.randomUUID();
    const uid = crypto.randomUUID();
    const text = `INSERT INTO bench_ceiling (id, template_id, user_id, method, payload, dedupe_hash) VALUES ($1, $2, $3, 'webhook', $4, $5)`;
    let next = 0;
    const t0 = now();
    await Promise.all(
      cs.map(async (c) => {
        while (next < rows) {
          const j = next++;
          await c.query({ name: 'ceiling_single', text, values: [crypto.randomUUID(), tpl, uid, JSON.stringify(makePayload(j)), crypto.randomUUID().replace(/-/g, '') + j] });
        }
      }),
    );
    const ms = now() - t0;
    const n = (await cs[0].query('SELECT count(*)::int AS n FROM bench_ceiling')).rows[0].n;
    if (n !== rows) throw new Error(`expected ${rows} rows, found ${n}`);
    await cs[0].query('TRUNCATE bench_ceiling');
    return (rows / ms) * 1000;
  } finally {
    await Promise.all(cs.map((c) => c.end()));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.env.BENCH_ROUNDS ?? 3);
  const fresh = await freshPgDatabase('ceiling');
  const raw = [];
  const her = [];
  const single = [];
  try {
    const [userId] = await prepareHeraldDb(fresh.url, 1);
    for (let r = 0; r < runs; r++) {
      raw.push(await ceilingRun(fresh.url));
      her.push(await ceilingRun(fresh.url, { herald: true, userId }));
      single.push(await singleCeilingRun(fresh.url));
    }
  } finally {
    await fresh.drop();
  }
  const rows = [
    { table: "anchor's test table (PK + unique hash)", 'rows/s min/med/max': mmm(raw) },
    { table: 'Herald notification_messages (its indexes, foreign keys and triggers; raw SQL)', 'rows/s min/med/max': mmm(her) },
    { table: `anchor's table, one row per statement and commit, ${SINGLE_CLIENTS} clients (single-row ceiling)`, 'rows/s min/med/max': mmm(single) },
  ];
  console.log(`\nbench/ceiling — ${ROWS} rows, ${BATCH}/batch, one client, unnest INSERT, autocommit per batch, ${runs} interleaved runs\n`);
  table(rows);
  console.log('\nwrote', writeResult('ceiling', { params: { ROWS, BATCH, runs }, raw, herald: her, single, median: { raw: median(raw), herald: median(her), single: median(single) } }));
}
