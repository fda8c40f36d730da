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
// Connections: one undici `Pool` per method (keep-alive, one request per connection at a time),
// driven through its low-level `dispatch()` handler API: no stream per response and no
// IncomingMessage, which on a 2-core box cost more CPU than the rest of a delivery (node:http, and
// fetch before it: docs/performance.md). A connection is only returned to the pool once its
// response body has been fully read, so every path below either reads a small body to its end
// (bounded in bytes and time, never buffered beyond the logged prefix) or aborts the request
// (which closes that one connection).

import type { Dispatcher, Pool } from 'undici';
import { lazyModule } from '../../lib/lazy-module.js';
import type { Logger } from '../../lib/logger.js';
import { renderWebhookBody } from '../prepare.js';
import type { DeliveryMethod, DeliveryResult, MessagePayload, PreparedMessage } from '../types.js';
import { parseWebhookSecret, webhookSignatureHeaders, type WebhookSigningKey } from './signing.js';

// The body is rendered by the message-preparation module; these names stay for existing importers.
export { WEBHOOK_BODY_VERSION, renderWebhookBody as buildWebhookBody, type WebhookBody } from '../prepare.js';

const undici = lazyModule<{ Pool: typeof Pool }>('undici');

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
  /**
   * The most connections kept open to the endpoint (further POSTs wait for a free one); unset: no
   * limit. The dispatcher passes its deliveries at once (--notifications-lease-count): without a
   * limit, a pool kept busy by 50 POSTs at a time opened 100 connections (a POST started right after
   * an answer often finds that answer's connection not yet free), at more CPU per POST.
   */
  connections?: number;
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

/** A short, secret-free description of why a request failed. */
function describeTransportError(err: unknown): string {
  // A wrapped error (e.g. fetch's TypeError('fetch failed', { cause })): describe the real one.
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

/** A response: its status, Retry-After, and the kept start of its body. */
interface Answer {
  status: number;
  retryAfter: string | undefined;
  prefix: Buffer;
}
type Sent = Answer | { error: unknown; aborted: boolean };
const EMPTY = Buffer.alloc(0);

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

  // One keep-alive pool per method (closed with it). Herald's dispatch deadline (the signal) is the
  // only timeout on headers and body; undici's own connect timeout (10 s) stays, so a connection
  // attempt that hangs gives way instead of holding its queued request until the OS gives up.
  const target = new URL(url);
  const path = `${target.pathname}${target.search}`;
  const pool = new (undici().Pool)(target.origin, { headersTimeout: 0, bodyTimeout: 0, connections: opts.connections ?? null });

  /**
   * POSTs `body` and reads the answer: its status, Retry-After and, for a non-2xx answer, the first
   * LOGGED_BODY_LIMIT bytes of its body. The body is read to its end (so the connection is reused) unless it is, or is declared,
   * bigger than DRAIN_BYTE_LIMIT, takes longer than DRAIN_TIME_LIMIT_MS, or `signal` aborts: then the
   * request is aborted, which closes that one connection. Resolves with the transport error instead
   * when there is no response; never rejects.
   */
  function post(headers: Record<string, string>, body: string, signal: AbortSignal): Promise<Sent> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve({ error: new Error('aborted'), aborted: true });
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let response: Answer | undefined;
      let kept: Buffer[] = [];
      let keptBytes = 0;
      let keepBytes = 0;
      let seen = 0;
      let limit = DRAIN_BYTE_LIMIT;
      let timer: NodeJS.Timeout | undefined;
      const settle = (r: Sent) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      /** The answer, with what was kept of its body; `complete` false aborts the rest of it. */
      const answered = (complete: boolean) => {
        if (!response || settled) return;
        response.prefix = kept.length === 1 ? kept[0]! : Buffer.concat(kept);
        kept = [];
        settle(response);
        if (!complete) controller?.abort(new Error('response body not read'));
      };
      const onAbort = () => {
        if (response) return answered(false);
        settle({ error: new Error('aborted'), aborted: true });
        controller?.abort(new Error('aborted'));
      };
      const drainTimeout = () => answered(false);
      signal.addEventListener('abort', onAbort, { once: true });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          // Aborted while waiting for a connection: do not send it.
          if (settled) c.abort(new Error('aborted'));
        },
        onResponseStart(_c, statusCode, resHeaders) {
          if (settled) return;
          const ra = resHeaders['retry-after'];
          response = { status: statusCode, retryAfter: Array.isArray(ra) ? ra[0] : ra, prefix: EMPTY };
          keepBytes = statusCode >= 200 && statusCode < 300 ? 0 : LOGGED_BODY_LIMIT;
          const cl = resHeaders['content-length'];
          const declared = Number(Array.isArray(cl) ? cl[0] : cl);
          // A body we know is too big to drain: read only what we keep, then close.
          if (Number.isFinite(declared) && declared > DRAIN_BYTE_LIMIT) {
            limit = keepBytes;
            if (limit === 0) return answered(false);
          }
          timer = setTimeout(drainTimeout, DRAIN_TIME_LIMIT_MS);
        },
        onResponseData(_c, chunk) {
          if (settled) return;
          seen += chunk.byteLength;
          if (keptBytes < keepBytes) {
            // Copy the slice so the (possibly large) chunk is not retained.
            const slice = Buffer.from(chunk.subarray(0, keepBytes - keptBytes));
            kept.push(slice);
            keptBytes += slice.byteLength;
          }
          if (seen >= limit) answered(false);
        },
        onResponseEnd() {
          answered(true);
        },
        onResponseError(_c, error) {
          if (response) return answered(false);
          settle({ error, aborted: signal.aborted });
        },
      };
      pool.dispatch({ path, method: 'POST', headers, body }, handler);
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
    const status = sent.status;
    if (status >= 200 && status < 300) {
      log?.debug({ msg_id: msg.id, status }, 'webhook delivered');
      return { ok: true };
    }

    // Anything else is a failure, 3xx included: redirects are not followed
    // (redirect: 'manual'), so a 3xx is the receiver's answer, not a hop.
    const prefix = sent.prefix;
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
      return retryable(error, parseRetryAfter(sent.retryAfter));
    }
    return retryable(error);
  }

  return {
    name: 'webhook',
    deliver,
    async close() {
      await pool.destroy();
    },
  };
}
