// Microsoft Teams delivery: a Workflows (Power Automate) webhook URL receives a message with an
// Adaptive Card; a legacy Office 365 connector URL (…/webhookb2/… or …/IncomingWebhook/…) receives
// the MessageCard it understands. Results: see channel-result.ts; the legacy connector also answers
// 200 with an error text instead of "1" when Teams throttled it, which is retried.

import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../types.js';
import { renderAdaptiveCard, renderMessageCard } from '../render/channels.js';
import { classifyHttp, retryable } from './channel-result.js';
import { createHttpClient, type HttpClient } from './http-post.js';

export type TeamsFormat = 'adaptive' | 'messagecard';

/** The legacy connector's URL shape; anything else is taken for a Workflows trigger URL. */
export function teamsFormatFor(url: string): TeamsFormat {
  try {
    const p = new URL(url).pathname;
    return /\/webhookb2\/|\/IncomingWebhook\//i.test(p) || /^\/webhook\//i.test(p) ? 'messagecard' : 'adaptive';
  } catch {
    return 'adaptive';
  }
}

export interface TeamsMethodOptions {
  webhookUrl: string;
  client?: HttpClient;
}

export function createTeamsMethod(opts: TeamsMethodOptions): DeliveryMethod {
  if (!opts.webhookUrl) throw new Error('teams: webhook URL not defined');
  const client = opts.client ?? createHttpClient();
  const format = teamsFormatFor(opts.webhookUrl);
  return {
    name: 'teams',
    async deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
      const body = format === 'messagecard' ? renderMessageCard(msg) : renderAdaptiveCard(msg);
      const out = await client.request({ url: opts.webhookUrl, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal });
      const r = classifyHttp('teams', out);
      if (r.ok && format === 'messagecard' && 'answer' in out) {
        const text = out.answer.body.trim();
        if (text !== '' && text !== '1') return retryable(/429/.test(text) ? 'teams: throttled' : 'teams: connector did not accept the card');
      }
      return r;
    },
    async close() {
      if (!opts.client) client.close();
    },
  };
}
