import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldFlags, heraldLabels, now, openProducer, prepareHeraldDb, round, setPaused, settle, sleep, startHerald, startSink } from './lib.mjs';
const N = 2000;
const hdb = await freshPgDatabase('solo'); const sink = await startSink();
const [userId] = await prepareHeraldDb(hdb.url, 1);
const admin = new pg.Client({ connectionString: hdb.url }); await admin.connect();
async function run(withReplica, flags = {}) {
  await admin.query('DELETE FROM notification_messages'); await setPaused(admin, !withReplica); await settle(admin, ['notification_messages']);
  const replica = withReplica ? await startHerald(hdb.url, { ...heraldFlags('webhook', sink.url), ...flags }) : null;
  const prod = await openProducer(hdb.url, { sinkUrl: sink.url, maxConnections: 2 });
  const one = (i) => prod.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { i }, createdBy: 'bench' }]);
  for (let i = 0; i < 20; i++) await one(1e6 + i);
  await sink.reset(); const t0 = now();
  for (let i = 0; i < N; i++) await one(i);
  const ms = now() - t0;
  let c = 0; if (withReplica) while ((c = await sink.count()) < N && now() - t0 < 30000) await sleep(5);
  const all = now() - t0;
  await prod.close(); await replica?.stop();
  console.log(withReplica ? 'with replica' : 'alone', JSON.stringify(flags), 'calls/s', round(N / ms * 1000, 0), 'e2e/s', withReplica ? round(N / all * 1000, 0) : '-');
}
try { for (let r = 0; r < 2; r++) { await run(false); await run(true); } } finally { await admin.end(); sink.close(); await hdb.drop(); }
