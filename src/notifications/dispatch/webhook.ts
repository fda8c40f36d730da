// Webhook delivery (reference-system.md §3.3, product.md §2 item 5).
//
// POSTs the reference's JSON envelope (`_version` "1.1" wrapping the 1.2
// MessagePayload) to the configured endpoint. When a `whsec_…` secret is set,
// each request is signed with the Standard Webhooks headers (see signing.ts).
//
// Outcomes:
//   transport error              → retryable, "request failed: <cause>"
//   abort / timeout              → retryable, "request timeout"
//   status >= 300 (3xx included; → retryable, "non-2xx response (N)"; up to 512 bytes of
//   redirects are not followed)     the response body are logged
//   429 / 503 with Retry-After   → as above, plus retryAfterMs
//   410 Gone                     → NOT retryable (Herald improvement: the receiver says
//                                  the endpoint is gone for good, so retrying only adds load;
//                                  the reference retries every status >= 300)
//   2xx                          → ok
//
// Connections: node:http(s) with a keep-alive agent per method (not fetch: on a 2-core box fetch's
// WHATWG streams and request cloning cost more CPU than the rest of a delivery; docs/performance.md).
// A connection is only returned to the pool once its response body has been
// fully read, so every path below either drains a small body (bounded in bytes
// and time, never buffered) or cancels it (which closes that one connection).

import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../../lib/logger.js';
import { renderWebhookBody } from '../prepare.js';
import type { DeliveryMethod, DeliveryResult, MessagePayload, PreparedMessage } from '../types.js';
import { parseWebhookSecret, webhookSignatureHeaders, type WebhookSigningKey } from './signing.js';

// The body is rendered by the message-preparation module; these names stay for existing importers.
export { WEBHOOK_BODY_VERSION, renderWebhookBody as buildWebhookBody, type WebhookBody } from '../prepare.js';

/** Bytes of a non-2xx response body kept for the log. */
export const LOGGED_BODY_LIMIT = 512;
/** Bytes read (and thrown away) from a response body so its connection can be reused. */
const DRAIN_BYTE_LIMIT = 64 * 1024;
/** Time spent draining a response body before giving up on that connection. */
const DRAIN_TIME_LIMIT_MS = 1_000;

export interface WebhookMethodOptions {
  /** http(s) URL. Userinfo (`https://user:pass@host/`) is sent as HTTP Basic auth. */
  endpoint: string | URL;
  /** A Standard Webhooks secret `whsec_<base64>` (or an already parsed key). Unset: unsigned. */
  secret?: string | WebhookSigningKey;
  log?: Logger;
  /** Clock for webhook-timestamp; tests only. */
  now?: () => Date;
}

export class WebhookConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookConfigError';
  }
}

interface ParsedEndpoint {
  url: string;
  authorization?: string;
}

function parseEndpoint(endpoint: string | URL): ParsedEndpoint {
  const raw = typeof endpoint === 'string' ? endpoint.trim() : endpoint.href;
  if (raw === '') throw new WebhookConfigError('webhook endpoint not defined');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookConfigError('webhook endpoint must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookConfigError('webhook endpoint must be an http(s) URL');
  }
  if (url.hostname === '') throw new WebhookConfigError('webhook endpoint must be an http(s) URL');
  // fetch refuses URLs with credentials; the reference (Go net/http) turns them
  // into Basic auth, so do the same.
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url: url.href, authorization };
}

/**
 * Milliseconds to wait from a Retry-After value: delay-seconds or an HTTP date.
 * Undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) {
    const seconds = Number(v);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : Number.MAX_SAFE_INTEGER;
  }
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms) always
  // starts with a day name; Date.parse alone accepts far too much ("1.5", "-5").
  if (!/^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** A short, secret-free description of why fetch failed. */
function describeTransportError(err: unknown): string {
  // fetch wraps the real error: TypeError('fetch failed', { cause }).
  let e = err as ErrorLike | undefined;
  if (e && e.cause && typeof e.cause === 'object') e = e.cause as ErrorLike;
  if (!e || typeof e !== 'object') return String(err);
  let message = typeof e.message === 'string' ? e.message : '';
  const code = typeof e.code === 'string' ? e.code : '';
  // Several addresses tried (e.g. ::1 and 127.0.0.1): an AggregateError with no message.
  if (message === '' && Array.isArray(e.errors) && e.errors.length > 0) {
    const first = e.errors[0] as ErrorLike;
    if (typeof first?.message === 'string') message = first.message;
  }
  message = message.replace(/\s+/g, ' ').trim();
  if (message.length > 200) message = `${message.slice(0, 200)}…`;
  if (message === '') return code || 'unknown error';
  if (code !== '' && !message.includes(code)) return `${message} (${code})`;
  return message;
}

/**
 * Read a response body without buffering it: keep the first `keepBytes` bytes, discard the rest,
 * stop after DRAIN_BYTE_LIMIT bytes or DRAIN_TIME_LIMIT_MS, or when `signal` aborts, and destroy
 * what is left (closing that one connection; a fully read body returns it to the pool). Never throws.
 */
function consumeBody(res: http.IncomingMessage, keepBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  // A body we know is too big to drain: read only what we keep, then close.
  const limit = Number.isFinite(declared) && declared > DRAIN_BYTE_LIMIT ? keepBytes : DRAIN_BYTE_LIMIT;
  return new Promise((resolve) => {
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let seen = 0;
    let finished = false;
    const finish = (complete: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      res.removeListener('data', onData);
      if (!complete) res.destroy();
      resolve(Buffer.concat(kept));
    };
    const onAbort = () => finish(false);
    const onData = (chunk: Buffer) => {
      seen += chunk.byteLength;
      if (keptBytes < keepBytes) {
        // Copy the slice so the (possibly large) chunk is not retained.
        const slice = Buffer.from(chunk.subarray(0, keepBytes - keptBytes));
        kept.push(slice);
        keptBytes += slice.byteLength;
      }
      if (seen >= limit && !res.complete) finish(false);
    };
    const timer = setTimeout(onAbort, DRAIN_TIME_LIMIT_MS);
    if (signal.aborted) return finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    res.on('data', onData);
    res.once('end', () => finish(true));
    res.once('error', () => finish(false));
    res.once('close', () => finish(res.complete));
  });
}

function retryable(error: string, retryAfterMs?: number): DeliveryResult {
  return retryAfterMs === undefined
    ? { ok: false, retryable: true, error }
    : { ok: false, retryable: true, error, retryAfterMs };
}

/**
 * Create the webhook delivery method. Throws WebhookConfigError for an empty or
 * non-http(s) endpoint, and InvalidWebhookSecretError for a malformed secret:
 * both are configuration errors, the dispatcher treats them as permanent.
 */
export function createWebhookMethod(opts: WebhookMethodOptions): DeliveryMethod {
  const { url, authorization } = parseEndpoint(opts.endpoint ?? '');
  const signingKey: WebhookSigningKey | undefined =
    opts.secret === undefined || opts.secret === ''
      ? undefined
      : typeof opts.secret === 'string'
        ? parseWebhookSecret(opts.secret)
        : opts.secret;
  const log = opts.log;
  const now = opts.now ?? (() => new Date());

  // One keep-alive pool per method (closed with it); LIFO reuse keeps the pool small.
  const agentOptions: http.AgentOptions = { keepAlive: true, scheduling: 'lifo' };
  const isHttps = url.startsWith('https:');
  const agent = isHttps ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const request = isHttps ? https.request : http.request;
  // Parsed once: request(url) would parse the URL again for every POST.
  const target = new URL(url);
  const base: http.RequestOptions = {
    protocol: target.protocol,
    hostname: target.hostname.replace(/^\[|\]$/g, ''),
    port: target.port || undefined,
    path: `${target.pathname}${target.search}`,
    method: 'POST',
    agent,
  };

  /** POSTs `body`; resolves with the response (headers read) or the transport error. */
  function post(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<{ res: http.IncomingMessage } | { error: unknown; aborted: boolean }> {
    return new Promise((resolve) => {
      let done = false;
      headers['Content-Length'] = String(Buffer.byteLength(body));
      const req = request({ ...base, headers });
      const onAbort = () => {
        if (done) return;
        done = true;
        req.destroy();
        resolve({ error: new Error('aborted'), aborted: true });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('response', (res) => {
        signal.removeEventListener('abort', onAbort);
        if (done) return void res.destroy();
        done = true;
        resolve({ res });
      });
      req.once('error', (error) => {
        signal.removeEventListener('abort', onAbort);
        if (done) return;
        done = true;
        resolve({ error, aborted: signal.aborted });
      });
      req.end(body);
    });
  }

  async function deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
    if (signal.aborted) return retryable('request timeout');

    let body: string;
    try {
      body = JSON.stringify(renderWebhookBody(msg));
    } catch (err) {
      return { ok: false, retryable: false, error: `encode webhook body: ${(err as Error).message}` };
    }

    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-Message-Id': msg.id,
    };
    if (authorization) headers['Authorization'] = authorization;
    if (signingKey) Object.assign(headers, webhookSignatureHeaders(signingKey, msg.id, body, now()));

    const sent = await post(headers, body, signal);
    if ('error' in sent) {
      if (sent.aborted || signal.aborted) return retryable('request timeout');
      return retryable(`request failed: ${describeTransportError(sent.error)}`);
    }
    const res = sent.res;
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      await consumeBody(res, 0, signal);
      log?.debug({ msg_id: msg.id, status }, 'webhook delivered');
      return { ok: true };
    }

    // Anything else is a failure, 3xx included: redirects are not followed
    // (redirect: 'manual'), so a 3xx is the receiver's answer, not a hop.
    const prefix = await consumeBody(res, LOGGED_BODY_LIMIT, signal);
    // An opaque redirect (status 0) only exists in browsers; guard anyway.
    const shown = status === 0 ? 'redirect' : String(status);
    const error = `non-2xx response (${shown})`;
    log?.warn(
      { msg_id: msg.id, status, body: prefix.toString('utf8') },
      'webhook endpoint returned a non-2xx response',
    );

    if (status === 410) {
      // Herald improvement: 410 Gone is final, so fail permanently.
      return { ok: false, retryable: false, error };
    }
    if (status === 429 || status === 503) {
      const ra = res.headers['retry-after'];
      return retryable(error, parseRetryAfter(Array.isArray(ra) ? ra[0] : ra));
    }
    return retryable(error);
  }

  return {
    name: 'webhook',
    deliver,
    async close() {
      agent.destroy();
    },
  };
}
