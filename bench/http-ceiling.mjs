// bench/http-ceiling: the wire's limit on this box (issue 24 target 1b). A plain keep-alive
// node:http client in its own process posts the very bytes Herald sent (one of Herald's bodies, as
// the sink received it) to the same sink process, with as many requests in flight as Herald had
// connections open in the same round, and no database at all. Interleaved with Herald's own
// webhook dispatch (bench/runs.mjs, as in bench/graphile.mjs): Herald ÷ ceiling per round.
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freshPgDatabase, loadavg, median, mmm, now, prepareHeraldDb, round, startSink, table, writeResult } from './lib.mjs';
import { heraldWebhookThroughput } from './runs.mjs';

if (process.argv[2] === 'client') {
  // The client: CONCURRENCY loops, each POSTing and reading the answer before the next.
  const { url, body, total, concurrency } = JSON.parse(process.argv[3]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, scheduling: 'lifo' });
  const len = String(Buffer.byteLength(body));
  const post = () =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': len } }, (res) => {
        res.on('data', () => {});
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const loop = async () => {
    while (next < total) {
      next++;
      await post();
    }
  };
  for (let i = 0; i < Math.min(200, concurrency * 4); i++) await post(); // warm the sockets
  const t0 = now();
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const ms = now() - t0;
  const c = process.cpuUsage(c0);
  process.send({ ms, perSec: (total / ms) * 1000, cpuMsPerPost: (c.user + c.system) / 1000 / total });
  agent.destroy();
  process.exit(0);
}

const N = Number(process.env.BENCH_N ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CEILING_N = Number(process.env.BENCH_CEILING_N ?? 30000);
const FIXED_CONCURRENCY = process.env.BENCH_CEILING_CONCURRENCY ? Number(process.env.BENCH_CEILING_CONCURRENCY) : undefined;
const HERALD_FLAGS = JSON.parse(process.env.BENCH_HERALD_FLAGS ?? '{}');
const TARGET = 0.4;

async function ceiling(sink, body, concurrency) {
  await sink.reset();
  const child = fork(fileURLToPath(import.meta.url), ['client', JSON.stringify({ url: sink.url, body, total: CEILING_N, concurrency })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const r = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`ceiling client exited (${code})`)));
  });
  const st = await sink.stats();
  return { ...r, posts: st.count, conns: st.connections, bytes: st.bytes / Math.max(1, st.count), concurrency };
}

const db = await freshPgDatabase('ceiling_http');
const sink = await startSink();
const herald = [];
const raw = [];
const ratios = [];
const load = loadavg();
console.log(`bench/http-ceiling: load average before: ${load}`);
try {
  const [userId] = await prepareHeraldDb(db.url, 1);
  const h = { url: db.url, name: db.name, userId };
  let body;
  let conc;
  for (let r = 0; r < ROUNDS; r++) {
    // Herald first in even rounds, the ceiling first in odd ones (the first round needs Herald's body).
    const order = r % 2 && body ? ['ceiling', 'herald'] : ['herald', 'ceiling'];
    for (const side of order) {
      if (side === 'herald') {
        herald.push(await heraldWebhookThroughput(h, sink, { n: N, flags: HERALD_FLAGS }));
        body ??= await sink.sample();
        conc = FIXED_CONCURRENCY ?? Math.max(1, herald.at(-1).conns);
        console.log(`  round ${r + 1} herald: ${round(herald.at(-1).perSec, 0)}/s over ${herald.at(-1).conns} connections`);
      } else {
        raw.push(await ceiling(sink, body, conc));
        console.log(`  round ${r + 1} ceiling: ${round(raw.at(-1).perSec, 0)} POST/s at ${conc} in flight`);
      }
    }
    ratios.push(herald.at(-1).perSec / raw.at(-1).perSec);
  }
} finally {
  sink.close();
  await db.drop().catch(() => undefined);
}

const ratio = median(herald.map((x) => x.perSec)) / median(raw.map((x) => x.perSec));
console.log(`\nbench/http-ceiling — ${N} webhook messages (Herald, 1 replica) vs ${CEILING_N} raw POSTs of the same body, ${ROUNDS} interleaved rounds (min / median / max)\n`);
table([
  { system: 'Herald webhook dispatch (1 replica)', 'per s': mmm(herald.map((x) => x.perSec)), 'in flight (sink connections)': mmm(herald.map((x) => x.conns)), 'POST bytes': round(median(herald.map((x) => x.bytes)), 0), 'client CPU ms/POST': mmm(herald.map((x) => x.workerCpuMsPerJob), 3) },
  { system: 'raw node:http keep-alive client, no database', 'per s': mmm(raw.map((x) => x.perSec)), 'in flight (sink connections)': mmm(raw.map((x) => x.concurrency)), 'POST bytes': round(median(raw.map((x) => x.bytes)), 0), 'client CPU ms/POST': mmm(raw.map((x) => x.cpuMsPerPost), 3) },
]);
const targets = [
  { id: '24.1b', label: 'webhook dispatch ÷ raw-POST ceiling', figure: `${round(ratio * 100, 0)} %`, value: ratio, target: `≥ ${TARGET * 100} %`, met: ratio >= TARGET },
];
console.log(`\nper-round Herald ÷ ceiling: ${ratios.map((x) => `${round(x * 100, 0)} %`).join(', ')}`);
for (const t of targets) console.log(`${t.id} ${t.label}: ${t.figure} (target ${t.target}) ${t.met ? 'met' : 'NOT met'}`);
console.log('\nwrote', writeResult('http-ceiling', { params: { N, ROUNDS, CEILING_N, FIXED_CONCURRENCY, HERALD_FLAGS }, loadavg: load, herald, ceiling: raw, ratios: { heraldOverCeiling: ratio }, targets }));
