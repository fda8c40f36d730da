// A small JSON-over-HTTP client shared by the chat channels (Slack, Teams, Discord, user destinations).
//
// node:http(s) with one keep-alive agent per client (as webhook.ts, for the same CPU reasons), a
// bounded response read (the answer of these services is small: an `ok`, an error code, a
// retry_after), redirects never followed, and an optional address guard applied in the DNS lookup
// of the connection itself, so the address checked is the address connected to (no
// check-then-resolve race for SSRF).

import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';

/** Bytes of a response body kept; the rest is discarded. */
const KEEP_BYTES = 16 * 1024;

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The first KEEP_BYTES bytes of the body, as text. */
  body: string;
}

/** `blocked`: the address guard refused the destination (never retried). */
export type HttpOutcome = { answer: HttpAnswer } | { error: string; aborted: boolean; blocked?: boolean };

/** Refuses a resolved address (returns why) or accepts it (undefined). */
export type AddressGuard = (address: string, family: number) => string | undefined;

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'BlockedAddressError';
  }
}

export interface HttpClient {
  request(o: {
    method?: 'GET' | 'POST';
    url: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    signal: AbortSignal;
  }): Promise<HttpOutcome>;
  close(): void;
}

function guardedLookup(guard: AddressGuard): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        const why = guard(a.address, a.family);
        if (why) return callback(new BlockedAddressError(`${hostname} resolves to a blocked address (${why})`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** A short, secret-free reason for a transport error. */
export function describeError(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; errors?: { message?: unknown }[] } | undefined;
  let message = typeof e?.message === 'string' ? e.message : '';
  if (message === '' && Array.isArray(e?.errors) && typeof e.errors[0]?.message === 'string') message = e.errors[0].message;
  message = message.replace(/\s+/g, ' ').trim().slice(0, 200);
  const code = typeof e?.code === 'string' ? e.code : '';
  if (message === '') return code || 'unknown error';
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

export function createHttpClient(o: { guard?: AddressGuard; userAgent?: string } = {}): HttpClient {
  const agentOptions: http.AgentOptions = { keepAlive: true, scheduling: 'lifo' };
  const lookup = o.guard ? guardedLookup(o.guard) : undefined;
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const ua = o.userAgent ?? 'Herald-Notifications';

  return {
    request({ method = 'POST', url, headers = {}, body, signal }) {
      return new Promise((resolve) => {
        if (signal.aborted) return resolve({ error: 'request timeout', aborted: true });
        let u: URL;
        try {
          u = new URL(url);
        } catch {
          return resolve({ error: 'invalid URL', aborted: false });
        }
        const isHttps = u.protocol === 'https:';
        if (!isHttps && u.protocol !== 'http:') return resolve({ error: 'URL must be http(s)', aborted: false });
        // Node connects to a literal IP without a lookup, so the guard sees it here.
        const literal = u.hostname.replace(/^\[|\]$/g, '');
        if (o.guard && net.isIP(literal)) {
          const why = o.guard(literal, net.isIP(literal));
          if (why) return resolve({ error: `request failed: blocked address (${why})`, aborted: false, blocked: true });
        }
        let done = false;
        const finish = (r: HttpOutcome) => {
          if (done) return;
          done = true;
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const h: Record<string, string> = { 'User-Agent': ua, ...headers };
        if (body !== undefined) h['Content-Length'] = String(Buffer.byteLength(body));
        const req = (isHttps ? https : http).request(u, {
          method,
          agent: isHttps ? httpsAgent : httpAgent,
          headers: h,
          ...(lookup ? { lookup } : {}),
        });
        const onAbort = () => {
          req.destroy();
          finish({ error: 'request timeout', aborted: true });
        };
        signal.addEventListener('abort', onAbort, { once: true });
        req.once('error', (err) =>
          finish({ error: `request failed: ${describeError(err)}`, aborted: signal.aborted, blocked: err instanceof BlockedAddressError }),
        );
        req.once('response', (res) => {
          const kept: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < KEEP_BYTES) kept.push(chunk.subarray(0, KEEP_BYTES - size));
            size += chunk.byteLength;
            if (size > 4 * KEEP_BYTES) res.destroy();
          });
          const end = () =>
            finish({ answer: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(kept).toString('utf8') } });
          res.once('end', end);
          res.once('close', end);
          res.once('error', end);
        });
        req.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** The first value of a header. */
export function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
