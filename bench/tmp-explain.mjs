import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldLabels, openProducer, prepareHeraldDb, setPaused } from './lib.mjs';
const hdb = await freshPgDatabase('expl');
const [userId] = await prepareHeraldDb(hdb.url, 1);
const admin = new pg.Client({ connectionString: hdb.url }); await admin.connect();
await setPaused(admin, true);
const prod = await openProducer(hdb.url, { sinkUrl: 'http://127.0.0.1:1/', maxConnections: 2 });
let last; const oq = prod.db.query.bind(prod.db);
prod.db.query = (sql, params, o) => { last = { sql, params }; return oq(sql, params, o); };
const one = (i) => prod.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { i }, createdBy: 'bench' }]);
for (let i = 0; i < 50; i++) await one(1e6 + i);
console.log(last.sql.length, last.params.map((p) => String(p).length));
const c = new pg.Client({ connectionString: hdb.url }); await c.connect();
await c.query(`PREPARE s AS ${last.sql}`);
const lit0 = last.params.map((p) => `'${(p instanceof Date ? p.toISOString() : String(p)).replace(/'/g, "''")}'`);
for (let k = 0; k < 30; k++) {
  const lit = lit0.map((x, j) => j === 0 ? x.replace(/"i\\?":\s*\d+/g, `"i":${Math.random()*1e9|0}`) : x);
  await c.query('BEGIN');
  const r = await c.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING ${k === 29 ? 'ON' : 'OFF'}) EXECUTE s(${lit.join(',')})`.replace(/"id":"[0-9a-f-]{36}"/, `"id":"${crypto.randomUUID()}"`));
  await c.query('ROLLBACK');
  if (k >= 27) console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
}
await c.end(); await prod.close(); await admin.end(); await hdb.drop();
