// bench/enqueue: notifications enqueued per second through Herald's enqueuer (template + user lookup,
// preference check, dedupe hash and unique index, NOTIFY), one delivery method per notification:
//   single  — enqueue() one at a time from 16 concurrent producers (pool of 16), 2 round trips each;
//   batched — enqueueMany() with 500 notifications per call from one producer, 3 round trips per batch.
// The raw insert ceiling (bench/ceiling.mjs) runs in the same rounds for the ratio.
import pg from 'pg';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../dist/notifications/templates/catalogue.js';
import { ceilingRun, ROWS, SINGLE_CLIENTS, singleCeilingRun } from './ceiling.mjs';
import { freshPgDatabase, heraldLabels, loadavg, median, mmm, now, openProducer, prepareHeraldDb, round, settle, table, writeResult } from './lib.mjs';

const SINGLE_N = Number(process.env.BENCH_ENQUEUE_SINGLE_N ?? 5000);
const BATCH_N = ROWS;
const BATCH = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const fresh = await freshPgDatabase('enqueue');
const res = { single: [], batched: [], ceiling: [], singleCeiling: [] };
console.log(`bench/enqueue: load average before: ${loadavg()}`);
try {
  const [userId] = await prepareHeraldDb(fresh.url, 1);
  const prod = await openProducer(fresh.url, { sinkUrl: 'http://127.0.0.1:9/none' });
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  const reset = async () => {
    await admin.query('TRUNCATE notification_messages');
    await settle(admin, ['notification_messages']);
  };
  const req = (i) => ({ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: heraldLabels(i), data: { i }, createdBy: 'bench' });
  let seq = 0;
  // Warm up both paths (JIT, pool connections, prepared plans).
  await prod.enqueuer.enqueueMany(Array.from({ length: 100 }, () => req(seq++)));
  for (let i = 0; i < 50; i++) await prod.enqueuer.enqueueMany([req(seq++)]);
  for (let r = 0; r < ROUNDS; r++) {
    res.ceiling.push(await ceilingRun(fresh.url));

    await reset();
    const reqs = Array.from({ length: BATCH_N }, () => req(seq++));
    let t0 = now();
    let inserted = 0;
    for (let i = 0; i < reqs.length; i += BATCH) inserted += (await prod.enqueuer.enqueueMany(reqs.slice(i, i + BATCH))).flat().length;
    res.batched.push((BATCH_N / (now() - t0)) * 1000);
    if (inserted !== BATCH_N) throw new Error(`batched: ${inserted}/${BATCH_N} inserted`);

    await reset();
    let next = 0;
    t0 = now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < SINGLE_N) {
          next++;
          await prod.enqueuer.enqueueMany([req(seq++)]);
        }
      }),
    );
    res.single.push((SINGLE_N / (now() - t0)) * 1000);
    res.singleCeiling.push(await singleCeilingRun(fresh.url, { rows: SINGLE_N, clients: SINGLE_CLIENTS }));
    console.log(`  round ${r + 1}: ceiling ${round(res.ceiling.at(-1), 0)}/s, batched ${round(res.batched.at(-1), 0)}/s, single ${round(res.single.at(-1), 0)}/s, single-row ceiling ${round(res.singleCeiling.at(-1), 0)}/s`);
  }
  // Dedupe really is on: the same notification again inserts nothing.
  const again = await prod.enqueuer.enqueueMany([req(seq - 1)]);
  if (again[0].length !== 0) throw new Error('duplicate was enqueued');
  await admin.end();
  await prod.close();
} finally {
  await fresh.drop();
}
const ratio = median(res.batched) / median(res.ceiling);
const singleRatio = median(res.single) / median(res.singleCeiling);
console.log(`\nbench/enqueue — dedupe and preference checks on; ${ROUNDS} interleaved rounds (min / median / max); load average now ${loadavg()}\n`);
table([
  { mode: `raw ceiling (${ROWS} rows, 500/batch, anchor table)`, 'per s': mmm(res.ceiling), 'of ceiling': '100 %' },
  { mode: `batched enqueueMany (${BATCH_N}, 500/call)`, 'per s': mmm(res.batched), 'of ceiling': `${round(ratio * 100, 0)} %` },
  { mode: `single-row ceiling (${SINGLE_N}, one INSERT + commit each, ${SINGLE_CLIENTS} clients, anchor table)`, 'per s': mmm(res.singleCeiling), 'of ceiling': '100 % (single)' },
  { mode: `single enqueue (${SINGLE_N}, ${SINGLE_CLIENTS} concurrent)`, 'per s': mmm(res.single), 'of ceiling': `${round(singleRatio * 100, 0)} % of the single-row ceiling` },
]);
const targets = [
  { id: '24.3a', label: `single enqueue ÷ single-row insert-and-commit ceiling (${SINGLE_CLIENTS} clients)`, figure: `${round(singleRatio * 100, 0)} %`, value: singleRatio, target: '≥ 50 %', met: singleRatio >= 0.5 },
  { id: '24.3b', label: 'batched enqueueMany ÷ batched insert ceiling (500/batch)', figure: `${round(ratio * 100, 0)} %`, value: ratio, target: '≥ 80 %', met: ratio >= 0.8 },
];
console.log('');
for (const t of targets) console.log(`${t.id}  ${t.label}: ${t.figure} (target ${t.target}) — ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('enqueue', { params: { SINGLE_N, BATCH_N, BATCH, ROUNDS }, ...res, ratio, singleRatio, targets }));
