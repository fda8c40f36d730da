// graphile-worker side of bench/graphile.mjs, one fresh process per run (bench-anchor.md §3, §6).
// Env: GW_URL, GW_MODE (throughput|latency), GW_N, GW_CONCURRENCY, GW_TUNED (1|0), GW_SINK.
// Sends {type:'result', ...} (throughput) or {type:'ready'} then {type:'done'} (latency) over IPC.
import pg from 'pg';
import { run, runMigrations, makeWorkerUtils, Logger } from 'graphile-worker';
import { makeBody, makePayload, now, sleep } from './lib.mjs';

const URL_ = process.env.GW_URL;
const MODE = process.env.GW_MODE ?? 'throughput';
const N = Number(process.env.GW_N ?? 10000);
const CONCURRENCY = Number(process.env.GW_CONCURRENCY ?? 24);
const TUNED = process.env.GW_TUNED === '1';
const SINK = process.env.GW_SINK;

// Only warnings and errors: the default logger prints a line per job, which skews the figures.
const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`[graphile-worker] ${level}: ${message}`);
});
const preset = TUNED
  ? { worker: { localQueue: { size: CONCURRENCY + 1 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
  : { worker: {} };
const common = { connectionString: URL_, logger, preset, maxPoolSize: Math.max(10, CONCURRENCY + 2) };

let done = 0;
const taskList = {
  async webhook(payload, helpers) {
    const res = await fetch(SINK, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: makeBody(helpers.job.id, payload),
    });
    await res.text();
    if (res.status !== 200) throw new Error(`sink answered ${res.status}`);
    done++;
  },
};

const client = new pg.Client({ connectionString: URL_ });
await client.connect();
await runMigrations(common);
await client.query('DELETE FROM graphile_worker._private_jobs');
for (const t of ['graphile_worker._private_jobs', 'graphile_worker._private_job_queues', 'graphile_worker._private_tasks']) {
  await client.query(`VACUUM ANALYZE ${t}`);
}
await client.query('CHECKPOINT');

if (MODE === 'throughput') {
  const utils = await makeWorkerUtils(common);
  const te = now();
  for (let i = 0; i < N; i += 1000) {
    const specs = [];
    for (let j = i; j < Math.min(N, i + 1000); j++) specs.push({ identifier: 'webhook', payload: makePayload(j) });
    await utils.addJobs(specs);
  }
  const enqueueMs = now() - te;
  await utils.release();
  await client.query('CHECKPOINT');
  if (process.env.GW_REPORT_CPU) {
    process.send({ type: 'start' });
    await sleep(150); // the parent snapshots CPU counters; its own reads stay outside the window
  }
  const t0 = now();
  const runner = await run({ ...common, concurrency: CONCURRENCY, noHandleSignals: true, taskList });
  while (done < N) await sleep(5);
  const tasksMs = now() - t0;
  for (;;) {
    const r = await client.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs');
    if (r.rows[0].n === 0) break;
    await sleep(5);
  }
  const totalMs = now() - t0;
  if (process.env.GW_REPORT_CPU) {
    const go = new Promise((r) => process.once('message', r));
    process.send({ type: 'stop' });
    await go;
  }
  await runner.stop();
  await client.end();
  process.send({ type: 'result', enqueuePerSec: (N / enqueueMs) * 1000, tasksMs, totalMs, perSec: (N / totalMs) * 1000 });
} else {
  const runner = await run({ ...common, concurrency: CONCURRENCY, noHandleSignals: true, taskList });
  // Warm the connection pool to the sink, as the anchor's worker did.
  for (let i = 0; i < 20; i++) await (await fetch(SINK, { method: 'POST', body: '{}' })).text();
  process.send({ type: 'ready' });
  while (done < N) await sleep(5);
  await runner.stop();
  await client.end();
  process.send({ type: 'done' });
}
process.exit(0);
