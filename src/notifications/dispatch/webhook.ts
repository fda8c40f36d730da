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
// Connections: Node's built-in fetch keeps connections alive and reuses them.
// A connection is only returned to the pool once its response body has been
// fully read, so every path below either drains a small body (bounded in bytes
// and time, never buffered) or cancels it (which closes that one connection).

import type { Logger } from '../../server/logger.js';
import { markdownToPlaintext } from '../render/markdown.js';
import type { DeliveryMethod, DeliveryResult, MessagePayload, PreparedMessage } from '../types.js';
import { parseWebhookSecret, webhookSignatureHeaders, type WebhookSigningKey } from './signing.js';

export const WEBHOOK_BODY_VERSION = '1.1';

/** Bytes of a non-2xx response body kept for the log. */
export const LOGGED_BODY_LIMIT = 512;
/** Bytes read (and thrown away) from a response body so its connection can be reused. */
const DRAIN_BYTE_LIMIT = 64 * 1024;
/** Time spent draining a response body before giving up on that connection. */
const DRAIN_TIME_LIMIT_MS = 1_000;

/** The wire body, field order as the reference marshals it. */
export interface WebhookBody {
  _version: typeof WEBHOOK_BODY_VERSION;
  msg_id: string;
  payload: MessagePayload;
  title: string;
  title_markdown: string;
  body: string;
  body_markdown: string;
}

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

export function buildWebhookBody(msg: PreparedMessage): WebhookBody {
  return {
    _version: WEBHOOK_BODY_VERSION,
    msg_id: msg.id,
    payload: msg.payload,
    title: markdownToPlaintext(msg.titleMarkdown),
    title_markdown: msg.titleMarkdown,
    body: markdownToPlaintext(msg.bodyMarkdown),
    body_markdown: msg.bodyMarkdown,
  };
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
 * Read a response body without buffering it: keep the first `keepBytes` bytes,
 * discard the rest, stop after DRAIN_BYTE_LIMIT bytes or DRAIN_TIME_LIMIT_MS,
 * or when `signal` aborts, and cancel what is left (closing that connection).
 * Never throws.
 */
async function consumeBody(res: Response, keepBytes: number, signal: AbortSignal): Promise<Buffer> {
  const stream = res.body;
  if (!stream) return Buffer.alloc(0);
  const declared = Number(res.headers.get('content-length'));
  // A body we know is too big to drain: read only what we keep, then cancel.
  const limit = Number.isFinite(declared) && declared > DRAIN_BYTE_LIMIT ? keepBytes : DRAIN_BYTE_LIMIT;

  const reader = stream.getReader();
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen = 0;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<'stop'>((resolve) => {
    onAbort = () => resolve('stop');
    timer = setTimeout(onAbort, DRAIN_TIME_LIMIT_MS);
    if (signal.aborted) resolve('stop');
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    while (seen < limit) {
      const r = await Promise.race([reader.read(), stop]);
      if (r === 'stop') break;
      if (r.done) {
        done = true;
        break;
      }
      const chunk = r.value;
      seen += chunk.byteLength;
      if (keptBytes < keepBytes) {
        // Copy the slice so the (possibly large) chunk is not retained.
        const slice = Buffer.from(chunk.subarray(0, keepBytes - keptBytes));
        kept.push(slice);
        keptBytes += slice.byteLength;
      }
    }
  } catch {
    // The body errored (reset, abort): keep whatever arrived.
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    if (!done) {
      reader.cancel().catch(() => {});
    } else {
      reader.releaseLock();
    }
  }
  return Buffer.concat(kept);
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

  async function deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
    if (signal.aborted) return retryable('request timeout');

    let body: string;
    try {
      body = JSON.stringify(buildWebhookBody(msg));
    } catch (err) {
      return { ok: false, retryable: false, error: `encode webhook body: ${(err as Error).message}` };
    }

    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-Message-Id': msg.id,
    };
    if (authorization) headers['Authorization'] = authorization;
    if (signingKey) Object.assign(headers, webhookSignatureHeaders(signingKey, msg.id, body, now()));

    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
    } catch (err) {
      if (signal.aborted || (err as Error)?.name === 'AbortError' || (err as Error)?.name === 'TimeoutError') {
        return retryable('request timeout');
      }
      return retryable(`request failed: ${describeTransportError(err)}`);
    }

    const status = res.status;
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
      return retryable(error, parseRetryAfter(res.headers.get('retry-after')));
    }
    return retryable(error);
  }

  return {
    name: 'webhook',
    deliver,
    async close() {
      // Connections belong to Node's global fetch pool; nothing to release here.
    },
  };
}
