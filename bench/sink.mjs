// A webhook receiver in its own process (bench-anchor.md §6 "Sink"): drains the body, answers 200
// with an 11-byte JSON body, counts requests, bytes and new connections, and records
// enqueue→receive latency from the `enq` stamp in the payload (Herald: payload.data.enq;
// graphile-worker: payload.enq).
import http from 'node:http';

const now = () => performance.timeOrigin + performance.now();
let count = 0;
let bytes = 0;
let connections = 0;
let latencies = [];
/** One body as received (the first after a reset), so other clients can send the same bytes. */
let sample = '';
/** Herald's message ids seen since the reset, and how many arrived more than once. */
let seen = new Set();
let duplicates = 0;
const MSG_ID = /"msg_id":"([0-9a-f-]{36})"/;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    count++;
    const body = Buffer.concat(chunks);
    bytes += body.length;
    if (!sample) sample = body.toString();
    const id = MSG_ID.exec(body.toString('latin1', 0, 200));
    if (id) {
      if (seen.has(id[1])) duplicates++;
      else seen.add(id[1]);
    }
    if (body.includes('"enq"')) {
      try {
        const b = JSON.parse(body.toString());
        const t = Number(b.payload?.data?.enq ?? b.payload?.enq);
        if (t > 0) latencies.push(at - t);
      } catch {}
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.on('connection', () => connections++);
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m.type === 'count') process.send({ count });
  if (m.type === 'stats') process.send({ count, bytes, connections, latencies, duplicates });
  if (m.type === 'sample') process.send({ sample });
  if (m.type === 'reset') {
    count = bytes = connections = 0;
    latencies = [];
    sample = '';
    seen = new Set();
    duplicates = 0;
    process.send({ ok: true });
  }
});
