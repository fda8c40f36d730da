import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldLabels, now, openProducer, prepareHeraldDb, round, setPaused, settle, pgBackendCpu } from './lib.mjs';
const N = 2000;
const hdb = await freshPgDatabase('solo2');
const [userId] = await prepareHeraldDb(hdb.url, 1);
const admin = new pg.Client({ connectionString: hdb.url }); await admin.connect();
await setPaused(admin, true);
const prod = await openProducer(hdb.url, { sinkUrl: 'http://127.0.0.1:1/', maxConnections: 2 });
const one = (i) => prod.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { i }, createdBy: 'bench' }]);
for (let i = 0; i < 50; i++) await one(1e6 + i);
for (let r = 0; r < 3; r++) {
  const c0 = process.cpuUsage(); const b0 = await pgBackendCpu(admin, hdb.name ?? null).catch(() => null);
  const t0 = now();
  for (let i = 0; i < N; i++) await one(r * N + i);
  const ms = now() - t0; const c = process.cpuUsage(c0);
  console.log('calls/s', round(N / ms * 1000, 0), 'ms/call', round(ms / N, 3), 'client cpu ms/call', round((c.user + c.system) / 1000 / N, 3));
}
await prod.close(); await admin.end(); await hdb.drop();
