// How the chat channels turn an HTTP answer into a delivery result, the same way for each service:
// 2xx sent; 429 (and 503) retryable after the service's Retry-After; other 5xx and transport
// errors retryable; other 4xx permanent (the request or the destination is wrong and will stay
// wrong: retrying only adds load). `detail` is a short, secret-free service error code.

import type { DeliveryResult } from '../types.js';
import { parseRetryAfter } from './webhook.js';
import { header, type HttpOutcome } from './http-post.js';

export function retryable(error: string, retryAfterMs?: number): DeliveryResult {
  return retryAfterMs === undefined ? { ok: false, retryable: true, error } : { ok: false, retryable: true, error, retryAfterMs };
}

export function permanent(error: string): DeliveryResult {
  return { ok: false, retryable: false, error };
}

/** A service's error code from a short text or JSON body, safe to record (no URLs, no tokens). */
export function errorCode(body: string, secrets: readonly string[] = []): string {
  const s = body.trim();
  let code: string;
  try {
    const j = JSON.parse(s) as { error?: unknown; message?: unknown; code?: unknown };
    const v = typeof j.error === 'string' ? j.error : typeof j.message === 'string' ? j.message : typeof j.code === 'number' ? String(j.code) : '';
    code = v.replace(/[^\w .:'-]/g, '').slice(0, 80);
  } catch {
    // A plain-text answer is kept only when it is one code word (Slack's "no_service").
    code = /^[\w.-]{1,64}$/.test(s) ? s : '';
  }
  // A service that echoes a credential must not put it in status_reason.
  return secrets.some((x) => x && code.includes(x)) || /\bxox[a-z]-/i.test(code) ? '' : code;
}

export function classifyHttp(
  service: string,
  out: HttpOutcome,
  o: { retryAfterMs?: (body: string) => number | undefined; secrets?: readonly string[] } = {},
): DeliveryResult {
  if ('error' in out) {
    if (out.blocked) return permanent(`${service}: ${out.error}`);
    return retryable(out.aborted ? 'request timeout' : `${service}: ${out.error}`);
  }
  const { status, headers, body } = out.answer;
  if (status >= 200 && status < 300) return { ok: true };
  const code = errorCode(body, o.secrets);
  const error = `${service}: HTTP ${status}${code ? ` ${code}` : ''}`;
  if (status === 429 || status === 503) {
    return retryable(error, o.retryAfterMs?.(body) ?? parseRetryAfter(header(headers, 'retry-after')));
  }
  if (status >= 500 || status < 200 || (status >= 300 && status < 400)) return retryable(error);
  return permanent(error);
}
