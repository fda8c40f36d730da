// bench/storm: what burst grouping saves and what it costs. One Herald replica (webhook method), one
// producer in this process firing a storm of Workspace Manual Build Failed events for one recipient
// as fast as it can. Measured twice in the same run on the same database: with the template's
// grouping window off (the reference: one message per event) and on. Prints messages delivered per
// event and the enqueue→receive latency of the first message, each as a ratio grouped ÷ ungrouped
// (target: far fewer messages, and the first one no later).
import pg from 'pg';
import { TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED as TEMPLATE } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldFlags, loadavg, now, openProducer, prepareHeraldDb, round, sleep, startHerald, startSink, table, writeResult } from './lib.mjs';

const EVENTS = Number(process.env.BENCH_STORM_EVENTS ?? 500);
const WINDOW_SECONDS = Number(process.env.BENCH_STORM_WINDOW ?? 3);

const fresh = await freshPgDatabase('storm');
const sink = await startSink();
const rows = [];
try {
  const [userId] = await prepareHeraldDb(fresh.url, 1);
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  const replica = await startHerald(fresh.url, heraldFlags('webhook', sink.url));
  const prod = await openProducer(fresh.url, { sinkUrl: sink.url, maxConnections: 4 });
  let seq = 0;
  const send = () =>
    prod.enqueuer.enqueueMany([
      {
        userId,
        templateId: TEMPLATE,
        labels: { name: `ws-${seq % 10}`, workspace_build_number: String(seq), template_name: 'bench', template_version_name: 'v1', initiator: 'bench', workspace_owner_username: 'bench' },
        data: { enq: now(), i: seq++ },
        createdBy: 'bench',
      },
    ]);
  console.log(`bench/storm: ${EVENTS} events, window ${WINDOW_SECONDS} s, load average before: ${loadavg()}`);

  for (const mode of ['ungrouped', 'grouped']) {
    await admin.query(`UPDATE notification_template_rules SET window_seconds = $2 WHERE template_id = $1`, [TEMPLATE, mode === 'grouped' ? WINDOW_SECONDS : 0]);
    await sink.reset();
    const start = now();
    for (let i = 0; i < EVENTS; i++) await send();
    const enqueued = now();
    // Ungrouped: every event arrives. Grouped: the first at once, the rest as one message after the window.
    const expected = mode === 'grouped' ? 2 : EVENTS;
    const deadline = now() + 120_000 + WINDOW_SECONDS * 1000;
    while ((await sink.count()) < expected && now() < deadline) await sleep(20);
    // Whatever else would still arrive (a second group, stragglers) gets one more window to show up.
    await sleep(WINDOW_SECONDS * 1000 + 1000);
    const s = await sink.stats();
    const held = await admin.query(`SELECT count(*)::int AS n FROM notification_messages WHERE status = 'held'`);
    rows.push({
      mode,
      events: EVENTS,
      delivered: s.count,
      per_event: round(s.count / EVENTS, 4),
      first_ms: round(Math.min(...s.latencies), 1),
      enqueue_s: round((enqueued - start) / 1000, 2),
      held_left: held.rows[0].n,
    });
  }
  await prod.close();
  await replica.stop();
  await admin.end();
} finally {
  sink.close();
  await fresh.drop();
}

table(rows);
const [ref, grouped] = rows;
const ratios = {
  messages_per_event: round(grouped.per_event / ref.per_event, 4),
  first_message_latency: round(grouped.first_ms / ref.first_ms, 2),
};
console.log(`bench/storm: messages per event grouped ÷ ungrouped ×${ratios.messages_per_event}; first-message latency grouped ÷ ungrouped ×${ratios.first_message_latency}`);
console.log(`bench/storm: results in ${writeResult('storm', { rows, ratios })}`);
