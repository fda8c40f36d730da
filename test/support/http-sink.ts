// A real HTTP listener for tests: records every request and answers with
// programmable responses. Listens on 127.0.0.1, port 0.
//
//   const sink = await startHttpSink();
//   sink.respondWith({ status: 500, body: 'boom' });
//   sink.respondWith((req, i) => (i === 0 ? { status: 503, headers: { 'Retry-After': '2' } } : { status: 200 }));
//   await sink.waitFor(3, 5_000);
//   sink.requests[0].json; sink.connections;
//   await sink.close();

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SinkRequest {
  /** 0-based order of arrival. */
  index: number;
  method: string;
  /** Path including the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact bytes received. */
  rawBody: Buffer;
  body: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
  /** 1-based id of the TCP connection the request came on. */
  connectionId: number;
  receivedAt: number;
}

export interface SinkResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string | number | string[]>;
  /** Default empty. */
  body?: string | Buffer;
  /** Wait this long before answering (the wait ends early if the client goes away). */
  delayMs?: number;
  /** Destroy the socket instead of answering (the client sees a reset / "other side closed"). */
  reset?: boolean;
  /** Never answer (until close()). */
  hang?: boolean;
  /** Take over the response entirely (streaming, partial writes…). status/headers/body are ignored. */
  write?: (res: ServerResponse, req: IncomingMessage) => void | Promise<void>;
}

export type SinkResponder = SinkResponse | ((req: SinkRequest, index: number) => SinkResponse | Promise<SinkResponse>);

export interface HttpSink {
  /** Base URL, e.g. http://127.0.0.1:12345 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly requests: SinkRequest[];
  /** Number of TCP connections accepted so far. */
  readonly connections: number;
  /** Connections currently open. */
  readonly openConnections: number;
  /** Replace the responder for subsequent requests. */
  respondWith(responder: SinkResponder): void;
  /** Resolves once at least n requests have been fully received; rejects after timeoutMs. */
  waitFor(n: number, timeoutMs?: number): Promise<SinkRequest[]>;
  /** Forget recorded requests (connection counters are kept). */
  reset(): void;
  /** Stop listening and destroy every open socket. */
  close(): Promise<void>;
}

export interface HttpSinkOptions {
  respond?: SinkResponder;
}

export async function startHttpSink(opts: HttpSinkOptions = {}): Promise<HttpSink> {
  let responder: SinkResponder = opts.respond ?? { status: 200 };
  const requests: SinkRequest[] = [];
  const sockets = new Set<Socket>();
  const socketIds = new WeakMap<Socket, number>();
  let connections = 0;
  let closed = false;
  const waiters = new Set<() => void>();
  const closeHooks = new Set<() => void>();

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 30_000;

  server.on('connection', (socket: Socket) => {
    connections++;
    socketIds.set(socket, connections);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const body = rawBody.toString('utf8');
    let json: unknown;
    try {
      json = body === '' ? undefined : JSON.parse(body);
    } catch {
      json = undefined;
    }
    const index = requests.length;
    const recorded: SinkRequest = {
      index,
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      rawBody,
      body,
      json,
      connectionId: socketIds.get(req.socket) ?? 0,
      receivedAt: Date.now(),
    };
    requests.push(recorded);
    for (const w of [...waiters]) w();

    const spec = typeof responder === 'function' ? await responder(recorded, index) : responder;

    if (spec.delayMs && spec.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, spec.delayMs);
        function done() {
          clearTimeout(t);
          res.off('close', done);
          closeHooks.delete(done);
          resolve();
        }
        res.on('close', done);
        closeHooks.add(done);
      });
      if (res.destroyed || closed) return;
    }
    if (spec.reset) {
      req.socket.destroy();
      return;
    }
    if (spec.hang) return;
    if (spec.write) {
      await spec.write(res, req);
      return;
    }
    res.statusCode = spec.status ?? 200;
    for (const [k, v] of Object.entries(spec.headers ?? {})) res.setHeader(k, v);
    res.end(spec.body ?? '');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    get openConnections() {
      return sockets.size;
    },
    respondWith(r: SinkResponder) {
      responder = r;
    },
    waitFor(n: number, timeoutMs = 5_000): Promise<SinkRequest[]> {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length >= n) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(requests.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`http sink: timed out after ${timeoutMs}ms waiting for ${n} requests (got ${requests.length})`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    reset() {
      requests.length = 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const hook of [...closeHooks]) hook();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
      await stopped;
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (connections are refused). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
