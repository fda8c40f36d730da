// Discord delivery: a channel webhook URL receives one embed (render/channels.ts). A 429 carries
// retry_after (seconds, fractional) in its JSON body, honoured before the Retry-After header.
// Results otherwise as channel-result.ts (404 Unknown Webhook, 401/403: permanent).

import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../types.js';
import { renderDiscordMessage } from '../render/channels.js';
import { classifyHttp } from './channel-result.js';
import { createHttpClient, type HttpClient } from './http-post.js';

export interface DiscordMethodOptions {
  webhookUrl: string;
  client?: HttpClient;
}

/** Milliseconds from Discord's `retry_after` (seconds), when the body has it. */
export function discordRetryAfter(body: string): number | undefined {
  try {
    const v = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.ceil(v * 1000) : undefined;
  } catch {
    return undefined;
  }
}

export function createDiscordMethod(opts: DiscordMethodOptions): DeliveryMethod {
  if (!opts.webhookUrl) throw new Error('discord: webhook URL not defined');
  const client = opts.client ?? createHttpClient();
  return {
    name: 'discord',
    async deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
      const out = await client.request({
        url: opts.webhookUrl,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(renderDiscordMessage(msg)),
        signal,
      });
      return classifyHttp('discord', out, { retryAfterMs: discordRetryAfter });
    },
    async close() {
      if (!opts.client) client.close();
    },
  };
}
