// Slack delivery: an incoming-webhook URL, or a bot token calling chat.postMessage — to a
// configured channel, or to the recipient themselves (a DM from the app), found by e-mail with
// users.lookupByEmail. The message is Block Kit (render/channels.ts).
//
// Results: see channel-result.ts. The Web API answers 200 with {ok:false,error}; codes that
// mean the configuration or the recipient is wrong fail permanently (invalid_auth,
// channel_not_found, no_service, users_not_found, …), the service's own trouble is retried.

import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../types.js';
import { renderSlackMessage } from '../render/channels.js';
import { classifyHttp, permanent, retryable } from './channel-result.js';
import { createHttpClient, header, type HttpClient } from './http-post.js';
import { parseRetryAfter } from './webhook.js';

export const SLACK_API_URL = 'https://slack.com/api';

/** Web API errors worth another attempt; any other error code is permanent. */
const SLACK_RETRYABLE = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

export interface SlackMethodOptions {
  /** An incoming-webhook URL (used when no bot token is set). */
  webhookUrl?: string;
  /** A bot token (xoxb-…); takes precedence over the webhook URL. */
  botToken?: string;
  /** Channel id or name for bot-token messages; empty: a DM to the recipient, looked up by e-mail. */
  channel?: string;
  /** Web API base URL, default Slack's own (tests and proxies point it elsewhere). */
  apiUrl?: string;
  client?: HttpClient;
  /** How long an e-mail → Slack user id lookup is reused. */
  lookupTtlMs?: number;
}

export function createSlackMethod(opts: SlackMethodOptions): DeliveryMethod {
  if (!opts.botToken && !opts.webhookUrl) throw new Error('slack: neither a bot token nor a webhook URL is configured');
  const client = opts.client ?? createHttpClient();
  const api = (opts.apiUrl || SLACK_API_URL).replace(/\/+$/, '');
  const ttl = opts.lookupTtlMs ?? 3_600_000;
  const users = new Map<string, { id: string; at: number }>();

  async function callApi(
    methodName: string,
    signal: AbortSignal,
    o: { query?: Record<string, string>; json?: unknown },
  ): Promise<{ ok: true; data: Record<string, unknown> } | { ok: false; result: DeliveryResult }> {
    const url = `${api}/${methodName}${o.query ? `?${new URLSearchParams(o.query)}` : ''}`;
    const out = await client.request({
      method: o.json === undefined ? 'GET' : 'POST',
      url,
      headers: {
        Authorization: `Bearer ${opts.botToken}`,
        ...(o.json === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
      },
      body: o.json === undefined ? undefined : JSON.stringify(o.json),
      signal,
    });
    if ('error' in out || out.answer.status !== 200) {
      const r = classifyHttp(`slack ${methodName}`, out);
      return { ok: false, result: r.ok ? retryable(`slack ${methodName}: unexpected answer`) : r };
    }
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(out.answer.body) as Record<string, unknown>;
    } catch {
      return { ok: false, result: retryable(`slack ${methodName}: answer is not JSON`) };
    }
    if (data.ok === true) return { ok: true, data };
    const code = typeof data.error === 'string' ? data.error.replace(/[^\w]/g, '').slice(0, 64) : 'unknown_error';
    const error = `slack ${methodName}: ${code}`;
    if (code === 'ratelimited') return { ok: false, result: retryable(error, parseRetryAfter(header(out.answer.headers, 'retry-after'))) };
    return { ok: false, result: SLACK_RETRYABLE.has(code) ? retryable(error) : permanent(error) };
  }

  async function recipient(msg: PreparedMessage, signal: AbortSignal): Promise<{ channel: string } | { result: DeliveryResult }> {
    if (opts.channel) return { channel: opts.channel };
    const email = msg.payload.user_email;
    if (!email) return { result: permanent('slack: the recipient has no e-mail address to look up') };
    const hit = users.get(email);
    if (hit && Date.now() - hit.at < ttl) return { channel: hit.id };
    const r = await callApi('users.lookupByEmail', signal, { query: { email } });
    if (!r.ok) return { result: r.result };
    const id = (r.data.user as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '') return { result: retryable('slack users.lookupByEmail: answer without a user id') };
    if (users.size > 10_000) users.clear();
    users.set(email, { id, at: Date.now() });
    return { channel: id };
  }

  async function deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
    const message = renderSlackMessage(msg);
    if (!opts.botToken) {
      const out = await client.request({
        url: opts.webhookUrl!,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(message),
        signal,
      });
      return classifyHttp('slack webhook', out);
    }
    const to = await recipient(msg, signal);
    if ('result' in to) return to.result;
    const r = await callApi('chat.postMessage', signal, { json: { channel: to.channel, ...message } });
    if (!r.ok && !r.result.ok && /channel_not_found|user_not_found/.test(r.result.error)) users.delete(msg.payload.user_email);
    return r.ok ? { ok: true } : r.result;
  }

  return {
    name: 'slack',
    deliver,
    async close() {
      if (!opts.client) client.close();
    },
  };
}
