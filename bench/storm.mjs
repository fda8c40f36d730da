// bench/storm: what burst grouping saves and what it costs (issue 19). One Herald replica process
// (webhook method), one producer in this process enqueueing Workspace Manual Build Failed events for
// one recipient, on one database. Two phases:
//  1. alone (19.bench): ALONE pairs of single events, one grouped (the template's window on, a new
//     group key each time, so the event opens a group and goes out at once) and one ungrouped (window
//     off: the reference), the order flipped every pair so load drift hits both alike. Each sample
//     starts once nothing is pending or leased and ends when the message reaches the receiver. The
//     window is long here, so no group is released during the phase (a release would land on a
//     random sample); the groups, each holding nothing, are left open.
//  2. storms (19.bench.storm, 19.bench.messages): ROUNDS rounds of both modes (A/B interleaved, the
//     order flipped every round), a storm of EVENTS events enqueued one after the other, the first
//     one stamped; each round starts once the previous one's group is released and its deliveries
//     have drained. The sample is the first message with the rest of its storm enqueued right behind
//     it (held vs delivered events compete). Messages delivered per event are counted once every
//     group has been released (ideal: 2 per storm, the first + one grouped).
// Prints min/median/max and the ratios of the medians (target ≤ ×1.1: the first message of a group
// is as immediate as any).
import pg from 'pg';
import { TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED as TEMPLATE } from '../dist/notifications/templates/catalogue.js';
import { freshPgDatabase, heraldFlags, loadavg, median, mmm, now, openProducer, prepareHeraldDb, round, sleep, startHerald, startSink, table, writeResult } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_STORM_ROUNDS ?? 10);
const EVENTS = Number(process.env.BENCH_STORM_EVENTS ?? 100);
const WINDOW_SECONDS = Number(process.env.BENCH_STORM_WINDOW ?? 3);
const ALONE = Number(process.env.BENCH_STORM_ALONE ?? 150);
// Phase 1's window: longer than the phase, so none of its groups is released during it.
const ALONE_WINDOW_SECONDS = 3600;
const TARGET = 1.1;

const fresh = await freshPgDatabase('storm');
const sink = await startSink();
const cells = () => ({ 'ungrouped, alone': [], 'grouped, alone': [], 'ungrouped, in storm': [], 'grouped, in storm': [] });
// enqueue → receiver of the first message; the producer's side: how long its enqueue call took.
const split = cells();
const enqueueMs = cells();
const storms = { ungrouped: { events: 0, delivered: 0 }, grouped: { events: 0, delivered: 0 } };
let heldLeft = NaN;
let groups = NaN;
const loadBefore = loadavg();
const started = now();
try {
  const [userId] = await prepareHeraldDb(fresh.url, 1);
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  const replica = await startHerald(fresh.url, heraldFlags('webhook', sink.url));
  const prod = await openProducer(fresh.url, { sinkUrl: sink.url, maxConnections: 4 });
  let seq = 0;
  const send = (key, stamp) =>
    prod.enqueuer.enqueueMany([
      {
        userId,
        templateId: TEMPLATE,
        labels: { name: `ws-${seq % 10}`, workspace_build_number: String(seq), template_name: key, template_version_name: 'v1', initiator: 'bench', workspace_owner_username: 'bench' },
        data: stamp ? { enq: now(), i: seq++ } : { i: seq++ },
        createdBy: 'bench',
      },
    ]);
  const setWindow = (seconds) =>
    admin.query(`UPDATE notification_template_rules SET window_seconds = $2, group_key = '{template_name}' WHERE template_id = $1`, [TEMPLATE, seconds]);
  const waitFor = async (cond, ms) => {
    const deadline = now() + ms;
    while (!(await cond()) && now() < deadline) await sleep(5);
  };
  const count = async (sql) => (await admin.query(sql)).rows[0].n;
  const noneOpen = () => waitFor(async () => (await count(`SELECT count(*)::int AS n FROM notification_groups WHERE status = 'open'`)) === 0, 60_000 + WINDOW_SECONDS * 1000);
  const drained = () => waitFor(async () => (await count(`SELECT count(*)::int AS n FROM notification_messages WHERE status IN ('pending', 'leased')`)) === 0, 60_000);
  const arrived = () => waitFor(async () => (await sink.stats()).latencies.length > 0, 30_000);
  console.log(`bench/storm: ${ALONE} single events of each mode, then ${ROUNDS} storms of each mode, ${EVENTS} events per storm, window ${WINDOW_SECONDS} s, load average before: ${loadBefore}`);

  // Warm-up: both statements prepared and the dispatcher's and releaser's paths taken once.
  for (const w of [0, WINDOW_SECONDS]) {
    await setWindow(w);
    for (let i = 0; i < 5; i++) await send(`warm-${w}`, false);
  }
  await sleep(WINDOW_SECONDS * 1000 + 1500);

  // Phase 2 first (its rounds wait for every open group to be released; phase 1 leaves its open).
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 ? ['grouped', 'ungrouped'] : ['ungrouped', 'grouped']) {
      await setWindow(mode === 'grouped' ? WINDOW_SECONDS : 0);
      // The previous round's group released and its deliveries drained: every first message
      // starts from the same place (nothing of an earlier round in flight).
      await noneOpen();
      await drained();
      await sink.reset();
      const key = `${mode}-${r}`;
      const t0 = now();
      await send(key, true);
      enqueueMs[`${mode}, in storm`].push(now() - t0);
      for (let i = 1; i < EVENTS; i++) await send(key, false);
      await arrived();
      const st = await sink.stats();
      split[`${mode}, in storm`].push(st.latencies[0]);
      storms[mode].events += EVENTS;
    }
  }
  // Every storm's group released (window end), every message delivered: count them.
  await noneOpen();
  await drained();
  const delivered = await admin.query(
    `SELECT g.key IS NOT NULL AS grouped, count(*)::int AS n
     FROM notification_messages nm
     LEFT JOIN notification_groups g ON g.id = COALESCE(nm.carries, nm.group_id)
     WHERE nm.status = 'sent' AND nm.payload->'labels'->>'template_name' NOT LIKE 'warm-%'
       AND (nm.carries IS NULL OR g.key NOT LIKE 'warm-%')
     GROUP BY 1`,
  );
  for (const d of delivered.rows) storms[d.grouped ? 'grouped' : 'ungrouped'].delivered += d.n;
  heldLeft = await count(`SELECT count(*)::int AS n FROM notification_messages WHERE status = 'held'`);
  groups = await count(`SELECT count(*)::int AS n FROM notification_groups WHERE key NOT LIKE 'warm-%'`);

  // Phase 1: single events, grouped and ungrouped interleaved.
  for (let r = 0; r < ALONE; r++) {
    for (const mode of r % 2 ? ['grouped', 'ungrouped'] : ['ungrouped', 'grouped']) {
      await setWindow(mode === 'grouped' ? ALONE_WINDOW_SECONDS : 0);
      await drained();
      await sink.reset();
      const t0 = now();
      await send(`alone-${mode}-${r}`, true);
      enqueueMs[`${mode}, alone`].push(now() - t0);
      await arrived();
      const st = await sink.stats();
      split[`${mode}, alone`].push(st.latencies[0]);
    }
  }
  await prod.close();
  await replica.stop();
  await admin.end();
} finally {
  sink.close();
  await fresh.drop();
}
const seconds = round((now() - started) / 1000, 1);

const rows = ['ungrouped', 'grouped'].map((mode) => ({
  mode,
  storms: storms[mode].events / EVENTS,
  events: storms[mode].events,
  delivered: storms[mode].delivered,
  'messages per event': round(storms[mode].delivered / storms[mode].events, 4),
}));
table(rows);
console.log('');
table(Object.keys(split).map((k) => ({ 'first message': k, samples: split[k].length, 'enqueue → receiver ms (min / median / max)': mmm(split[k], 2), 'its enqueue call ms': mmm(enqueueMs[k], 2) })));
const ratioOf = (xs, k) => round(median(xs[`grouped, ${k}`]) / median(xs[`ungrouped, ${k}`]), 2);
const ratioAlone = ratioOf(split, 'alone');
const ratioStorm = ratioOf(split, 'in storm');
console.log(`bench/storm: first message grouped ÷ ungrouped (medians): alone ×${ratioAlone} (its enqueue call ×${ratioOf(enqueueMs, 'alone')}), with its storm behind it ×${ratioStorm} (×${ratioOf(enqueueMs, 'in storm')})`);
const perEvent = round(storms.grouped.delivered / storms.grouped.events, 4);
const targets = [
  {
    id: '19.bench',
    label: 'first message of a group vs an ungrouped message, alone (enqueue → receiver, median)',
    figure: `×${ratioAlone}`,
    value: ratioAlone,
    target: `≤ ×${TARGET}`,
    met: ratioAlone <= TARGET,
  },
  {
    id: '19.bench.storm',
    label: 'the same with the rest of its storm enqueued right behind it (held vs delivered events compete)',
    figure: `×${ratioStorm}`,
    value: ratioStorm,
    target: `≤ ×${TARGET}`,
    met: ratioStorm <= TARGET,
  },
  {
    // Ideal: the first + one grouped message per storm (2 / EVENTS). A storm that outlasts the
    // window on a slow machine opens a second group: the target is ≤ 2 messages per group opened.
    id: '19.bench.messages',
    label: `messages sent per event, storms of ${EVENTS} grouped (ungrouped: 1); ${groups} groups for ${ROUNDS} storms`,
    figure: String(perEvent),
    value: perEvent,
    target: `≤ 2 per group (${round((2 * groups) / storms.grouped.events, 4)}), none held`,
    met: storms.grouped.delivered <= 2 * groups && heldLeft === 0,
  },
];
console.log(`bench/storm: groups ${groups} for ${ROUNDS} grouped storms, held left ${heldLeft}; ${seconds} s; load average after: ${loadavg()}`);
for (const t of targets) console.log(`bench/storm: ${t.id} ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
console.log(`bench/storm: results in ${writeResult('storm', { params: { ALONE, ROUNDS, EVENTS, WINDOW_SECONDS }, seconds, rows, split, enqueueMs, ratioAlone, ratioStorm, targets, loadavg: { before: loadBefore, after: loadavg() } })}`);
