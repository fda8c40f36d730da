// Sending one message to one user destination, per kind. Slack, Teams and Discord reuse the
// deployment channels' methods (same rendering, same result mapping) over the guarded client;
// a generic webhook gets the webhook body signed with the destination's own secret; ntfy gets its
// JSON publish format (https://docs.ntfy.sh/publish/#publish-as-json).

import { randomUUID } from 'node:crypto';
import type { DestinationKind } from '../../contract/channels.js';
import type { DeliveryResult, PreparedMessage } from '../types.js';
import { renderWebhookBody } from '../prepare.js';
import { markdownToPlaintext } from '../render/markdown.js';
import { createSlackMethod } from '../dispatch/slack.js';
import { createTeamsMethod } from '../dispatch/teams.js';
import { createDiscordMethod } from '../dispatch/discord.js';
import { classifyHttp } from '../dispatch/channel-result.js';
import type { HttpClient } from '../dispatch/http-post.js';
import { parseWebhookSecret, webhookSignatureHeaders } from '../dispatch/signing.js';

export interface Target {
  kind: DestinationKind;
  url: string;
  /** The generic webhook's whsec_ signing secret. */
  secret?: string;
}

/** True when the result says the destination is gone for good (HTTP 410). */
export function isGone(r: DeliveryResult): boolean {
  return !r.ok && !r.retryable && /\bHTTP 410\b/.test(r.error);
}

export async function sendTo(t: Target, msg: PreparedMessage, client: HttpClient, signal: AbortSignal, now: Date): Promise<DeliveryResult> {
  switch (t.kind) {
    case 'slack':
      return createSlackMethod({ webhookUrl: t.url, client }).deliver(msg, signal);
    case 'teams':
      return createTeamsMethod({ webhookUrl: t.url, client }).deliver(msg, signal);
    case 'discord':
      return createDiscordMethod({ webhookUrl: t.url, client }).deliver(msg, signal);
    case 'webhook': {
      const body = JSON.stringify(renderWebhookBody(msg));
      const id = msg.id || randomUUID();
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Message-Id': id };
      if (t.secret) Object.assign(headers, webhookSignatureHeaders(parseWebhookSecret(t.secret), id, body, now));
      return classifyHttp('webhook', await client.request({ url: t.url, headers, body, signal }));
    }
    case 'ntfy': {
      const u = new URL(t.url);
      const topic = decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() ?? '');
      const base = new URL(u.pathname.replace(/[^/]*\/?$/, ''), u.origin);
      const actions = (msg.payload.actions ?? []).filter((a) => /^https?:\/\//i.test(a.url)).slice(0, 3);
      const body = JSON.stringify({
        topic,
        title: markdownToPlaintext(msg.titleMarkdown),
        message: msg.bodyMarkdown,
        markdown: true,
        ...(actions[0] ? { click: actions[0].url } : {}),
        actions: actions.map((a) => ({ action: 'view', label: a.label || a.url, url: a.url })),
      });
      return classifyHttp('ntfy', await client.request({ url: base.href, headers: { 'Content-Type': 'application/json' }, body, signal }));
    }
  }
}
