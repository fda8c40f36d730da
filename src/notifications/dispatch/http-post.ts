// A small JSON-over-HTTP client shared by the chat channels (Slack, Teams, Discord, user destinations).
//
// One undici `Agent` per client (keep-alive pools per origin), driven through its `dispatch()`
// handler API as webhook.ts is, for the same CPU reasons; a bounded response read (the answer of
// these services is small: an `ok`, an error code, a retry_after), redirects never followed (undici
// follows none unless asked), and an optional address guard applied in the DNS lookup of the
// connection itself (the connector's `lookup`, handed to net/tls.connect), so the address checked
// is the address connected to (no check-then-resolve race for SSRF).

import dns from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
import net, { type LookupFunction } from 'node:net';
import type { Agent, Dispatcher } from 'undici';
import { lazyModule } from '../../lib/lazy-module.js';

const undici = lazyModule<{ Agent: typeof Agent }>('undici');

/** Bytes of a response body kept; the rest is discarded. */
const KEEP_BYTES = 16 * 1024;

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
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
  const lookup = o.guard ? guardedLookup(o.guard) : undefined;
  // The caller's signal is the only deadline on headers and body; undici's connect timeout (10 s) stays.
  // Made on the first request: most deployments never post to a chat service or push endpoint.
  let agent: Agent | undefined;
  const agentFor = () => (agent ??= new (undici().Agent)({ headersTimeout: 0, bodyTimeout: 0, ...(lookup ? { connect: { lookup } } : {}) }));
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
        if (u.protocol !== 'https:' && u.protocol !== 'http:') return resolve({ error: 'URL must be http(s)', aborted: false });
        // A literal IP is connected to without a lookup, so the guard sees it here.
        const literal = u.hostname.replace(/^\[|\]$/g, '');
        if (o.guard && net.isIP(literal)) {
          const why = o.guard(literal, net.isIP(literal));
          if (why) return resolve({ error: `request failed: blocked address (${why})`, aborted: false, blocked: true });
        }
        let done = false;
        let controller: Dispatcher.DispatchController | undefined;
        let status = 0;
        let resHeaders: IncomingHttpHeaders = {};
        const kept: Buffer[] = [];
        let size = 0;
        const finish = (r: HttpOutcome) => {
          if (done) return;
          done = true;
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const answer = () => finish({ answer: { status, headers: resHeaders, body: Buffer.concat(kept).toString('utf8') } });
        const onAbort = () => {
          finish({ error: 'request timeout', aborted: true });
          controller?.abort(new Error('aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const h: Record<string, string> = { 'User-Agent': ua, ...headers };
        // URL userinfo is sent as Basic auth unless the caller set Authorization (as node:http does).
        if ((u.username !== '' || u.password !== '') && !Object.keys(h).some((k) => k.toLowerCase() === 'authorization')) {
          h['Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
        }
        const handler: Dispatcher.DispatchHandler = {
          onRequestStart(c) {
            controller = c;
            // Aborted while waiting for a connection: do not send it.
            if (done) c.abort(new Error('aborted'));
          },
          onResponseStart(_c, statusCode, h2) {
            status = statusCode;
            resHeaders = h2 as IncomingHttpHeaders;
          },
          onResponseData(c, chunk) {
            if (done) return;
            if (size < KEEP_BYTES) kept.push(chunk.subarray(0, KEEP_BYTES - size));
            size += chunk.byteLength;
            // Too long an answer: keep what was read, close the connection.
            if (size > 4 * KEEP_BYTES) {
              answer();
              c.abort(new Error('response body too long'));
            }
          },
          onResponseEnd() {
            answer();
          },
          onResponseError(_c, err) {
            // The body cut short after the status: the answer as read so far (as before).
            if (status !== 0) return answer();
            finish({ error: `request failed: ${describeError(err)}`, aborted: signal.aborted, blocked: err instanceof BlockedAddressError });
          },
        };
        agentFor().dispatch({ origin: u.origin, path: `${u.pathname}${u.search}`, method, headers: h, body: body ?? null }, handler);
      });
    },
    close() {
      void agent?.destroy();
    },
  };
}

/** The first value of a header. */
export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
