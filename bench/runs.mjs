// Runs shared by several bench scripts: Herald's webhook throughput on a prepared database
// (N messages pre-enqueued with the dispatcher paused, a fresh replica process, clock from resume
// until the sink has N requests and no row is left pending or leased).
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { heraldFlags, heraldLabels, now, openProducer, setPaused, settle, sleep, startHerald, cpuSeconds, pgBackendCpu, cpuDelta } from './lib.mjs';

export async function heraldWebhookThroughput(h, sink, { n: N, flags = {} }) {
  const admin = new pg.Client({ connectionString: h.url });
  await admin.connect();
  await admin.query('DELETE FROM notification_messages');
  await settle(admin, ['notification_messages']);
  await setPaused(admin, true);
  const replica = await startHerald(h.url, { ...heraldFlags('webhook', sink.url), ...flags });
  const prod = await openProducer(h.url, { sinkUrl: sink.url });
  try {
    const te = now();
    // Setup, untimed for the comparison (as graphile's addJobs): batches of 1,000.
    for (let i = 0; i < N; i += 1000) {
      await prod.enqueuer.enqueueMany(
        Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({ userId: h.userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i + k), data: { i: i + k }, createdBy: 'bench' })),
      );
    }
    const enqueueMs = now() - te;
    await admin.query('CHECKPOINT');
    await sink.reset();
    const rss = [];
    const rssTimer = setInterval(() => rss.push(replica.rss()), 200);
    const pg0 = await pgBackendCpu(admin, h.name);
    const cpu0 = cpuSeconds(replica.pid);
    const t0 = now();
    await setPaused(admin, false);
    while ((await sink.count()) < N) await sleep(5);
    const tasksMs = now() - t0;
    for (;;) {
      const r = await admin.query(`SELECT count(*)::int AS n FROM notification_messages WHERE status IN ('pending', 'temporary_failure', 'leased')`);
      if (r.rows[0].n === 0) break;
      await sleep(5);
    }
    const totalMs = now() - t0;
    const workerCpu = cpuSeconds(replica.pid) - cpu0;
    const pgCpu = cpuDelta(pg0, await pgBackendCpu(admin, h.name));
    clearInterval(rssTimer);
    const st = await sink.stats();
    return { perSec: (N / totalMs) * 1000, totalMs, tasksMs, workerCpuMsPerJob: (workerCpu * 1000) / N, pgCpuMsPerJob: (pgCpu * 1000) / N, enqueuePerSec: (N / enqueueMs) * 1000, posts: st.count, bytes: st.bytes / Math.max(1, st.count), conns: st.connections, rss: Math.max(...rss) };
  } finally {
    await prod.close();
    await replica.stop();
    await admin.end();
  }
}
