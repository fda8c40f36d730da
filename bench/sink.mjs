// A webhook receiver in its own process: answers 200, records enqueue→receive latency from the payload.
import http from 'node:http';

const now = () => performance.timeOrigin + performance.now();
let count = 0;
let bytes = 0;
let connections = 0;
let latencies = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    count++;
    bytes += body.length;
    try {
      const t = Number(JSON.parse(body).payload?.labels?.custom_message);
      if (t > 0) latencies.push(now() - t);
    } catch {}
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;
server.on('connection', () => connections++);
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m.type === 'stats') process.send({ count, bytes, connections, latencies });
  if (m.type === 'reset') {
    count = bytes = connections = 0;
    latencies = [];
    process.send({ ok: true });
  }
});
