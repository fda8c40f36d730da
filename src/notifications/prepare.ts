// Message preparation: the one place that turns a template and a payload into what a user receives.
// enqueue builds the stored payload with buildPayload; the dispatcher, the preview route and the
// tests render with prepare + renderFor. Nothing here writes; helpers() reads the appearance.

import type { Queryable } from '../db/database.js';
import type { Clock } from '../lib/service.js';
import { systemClock } from '../lib/service.js';
import { Invalid, NotFound } from '../lib/errors.js';
import type { Action, MessagePayload, NotificationMethod, PreparedMessage, TemplateHelpers } from './types.js';
import { renderActions, renderTitleBody, type TemplateRowForRender } from './render/message.js';
import { renderEmail, type RenderedEmail } from './render/email.js';
import { markdownToHtml, markdownToPlaintext } from './render/markdown.js';
import { inboxGroupOf, type NewInboxRow } from './inbox/store.js';
import { renderAdaptiveCard, renderDiscordMessage, renderSlackMessage, type SlackMessage } from './render/channels.js';
import { getAppearance } from './dispatch/queries.js';
import { getTemplate } from './templates/store.js';

export const DEFAULT_APP_NAME = 'Herald';
/** Herald's logo, a PNG (e-mail clients do not show SVG), served by the dashboard (web/public). */
export const DEFAULT_LOGO_URL = '/icon/herald.png';

export const WEBHOOK_BODY_VERSION = '1.1';

/** The webhook's wire body, field order as the reference marshals it. */
export interface WebhookBody {
  _version: typeof WEBHOOK_BODY_VERSION;
  msg_id: string;
  payload: MessagePayload;
  title: string;
  title_markdown: string;
  body: string;
  body_markdown: string;
}

/** What one delivery method sends for a prepared message. */
export type RenderedMessage =
  | { method: 'smtp'; email: RenderedEmail }
  | { method: 'webhook'; body: WebhookBody }
  | { method: 'inbox'; row: NewInboxRow }
  | { method: 'slack'; message: SlackMessage }
  | { method: 'teams'; message: Record<string, unknown> }
  | { method: 'discord'; message: Record<string, unknown> }
  | { method: 'webpush'; notification: WebPushNotification }
  /** A user's own destinations: each kind renders as its channel does; the generic webhook body is shown. */
  | { method: 'destination'; body: WebhookBody };

/** The JSON a browser push carries; the service worker shows it and opens `url` on click. */
export interface WebPushNotification {
  title: string;
  body: string;
  icon: string;
  /** The first action's URL, else the inbox. */
  url: string;
  actions: Action[];
  msg_id: string;
}

export function renderWebPush(msg: PreparedMessage): WebPushNotification {
  const actions = (msg.payload.actions ?? []).filter((a) => /^https?:\/\//i.test(a.url));
  return {
    title: markdownToPlaintext(msg.titleMarkdown),
    body: markdownToPlaintext(msg.bodyMarkdown),
    icon: msg.helpers.logo_url,
    url: actions[0]?.url ?? `${msg.helpers.base_url}/notifications`,
    actions,
    msg_id: msg.id,
  };
}

/** The recipient as the payload names them. */
export interface PayloadUser {
  id: string;
  email: string;
  /** Display name: the name, else the username. */
  name: string;
  username: string;
}

export interface PayloadInput {
  templateId: string;
  templateName: string;
  /** The template row's action templates (jsonb, parsed or as text). */
  templateActions: Action[] | string | null;
  user: PayloadUser;
  labels: Record<string, string>;
  data?: Record<string, unknown> | null;
  targets?: string[] | null;
}

/**
 * The template helpers at `now`: the site's name and logo, else the configured e-mail logo
 * (--notifications-email-logo-url), else Herald's.
 */
export function templateHelpers(
  accessUrl: string,
  appearance: { application_name: string; logo_url: string },
  now: Date,
  emailLogoUrl = '',
): TemplateHelpers {
  return {
    base_url: accessUrl,
    current_year: String(now.getUTCFullYear()),
    app_name: appearance.application_name || DEFAULT_APP_NAME,
    logo_url: appearance.logo_url || emailLogoUrl || `${accessUrl.replace(/\/+$/, '')}${DEFAULT_LOGO_URL}`,
  };
}

/** The helpers known at enqueue: base_url and current_year only (as the reference). */
export function enqueueHelpers(accessUrl: string, at: Date): TemplateHelpers {
  return { base_url: accessUrl, current_year: String(at.getUTCFullYear()), app_name: '', logo_url: '' };
}

/**
 * The payload (reference MessagePayload 1.2) with its actions templated: enqueue stores it with
 * enqueueHelpers; the preview renders with every helper known. Throws on a template error.
 */
export function buildPayload(p: PayloadInput, helpers: TemplateHelpers): MessagePayload {
  const payload: MessagePayload = {
    _version: '1.2',
    notification_name: p.templateName,
    notification_template_id: p.templateId,
    user_id: p.user.id,
    user_email: p.user.email,
    user_name: p.user.name,
    user_username: p.user.username,
    actions: [],
    labels: p.labels,
    data: p.data ?? null,
    targets: p.targets && p.targets.length ? p.targets : null,
  };
  payload.actions = renderActions(p.templateActions, payload, helpers);
  return payload;
}

export interface PrepareInput extends TemplateRowForRender {
  /** The message id (the preview has none: ''). */
  id: string;
  templateId: string;
  payload: MessagePayload;
  critical?: boolean;
}

/** Renders title and body to Markdown (user values escaped). Throws on a template error. */
export function prepare(m: PrepareInput, helpers: TemplateHelpers): PreparedMessage {
  const { title, body } = renderTitleBody(m, m.payload, helpers);
  return { id: m.id, templateId: m.templateId, payload: m.payload, titleMarkdown: title, bodyMarkdown: body, helpers, critical: m.critical === true };
}

export function renderWebhookBody(msg: PreparedMessage): WebhookBody {
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

export function renderInboxRow(msg: PreparedMessage): NewInboxRow {
  return {
    id: msg.id,
    user_id: msg.payload.user_id,
    template_id: msg.templateId,
    targets: msg.payload.targets,
    title: msg.titleMarkdown,
    content: msg.bodyMarkdown,
    actions: msg.payload.actions ?? [],
    group: inboxGroupOf(msg.payload.data),
  };
}

/** What `method` sends for a prepared message: e-mail subject/HTML/text, webhook JSON, inbox row. */
export function renderFor(method: NotificationMethod, msg: PreparedMessage): RenderedMessage {
  switch (method) {
    case 'smtp':
      return { method, email: renderEmail(msg) };
    case 'webhook':
      return { method, body: renderWebhookBody(msg) };
    case 'inbox':
      return { method, row: renderInboxRow(msg) };
    case 'slack':
      return { method, message: renderSlackMessage(msg) };
    case 'teams':
      return { method, message: renderAdaptiveCard(msg) };
    case 'discord':
      return { method, message: renderDiscordMessage(msg) };
    case 'webpush':
      return { method, notification: renderWebPush(msg) };
    case 'destination':
      return { method, body: renderWebhookBody(msg) };
  }
}

/** The preview route's answer (wire shape). */
export interface MessagePreview {
  title: string;
  title_markdown: string;
  body: string;
  body_markdown: string;
  body_html: string;
  actions: Action[];
}

export interface MessagePreparer {
  /** Template helpers; the appearance is read at most every `appearanceTtlMs` unless `fresh`. */
  helpers(o?: { fresh?: boolean }): Promise<TemplateHelpers>;
  /**
   * Renders a template for `user` as it would be delivered now. Throws NotFound for an unknown
   * template and Invalid('Failed to render the template.', reason) for a template error.
   */
  preview(p: { templateId: string; user: PayloadUser; labels?: Record<string, string>; data?: Record<string, unknown> | null }): Promise<MessagePreview>;
}

export interface MessagePreparerOptions {
  db: Queryable;
  accessUrl: string;
  /** --notifications-email-logo-url */
  emailLogoUrl?: string;
  clock?: Clock;
  /** How long the dispatcher reuses the appearance it read; default 5 s. */
  appearanceTtlMs?: number;
}

export function createMessagePreparer(opts: MessagePreparerOptions): MessagePreparer {
  const clock = opts.clock ?? systemClock;
  const ttl = opts.appearanceTtlMs ?? 5000;
  let cached: { at: number; value: { application_name: string; logo_url: string } } | undefined;

  async function helpers(o: { fresh?: boolean } = {}): Promise<TemplateHelpers> {
    const now = clock();
    if (o.fresh || !cached || now.getTime() - cached.at > ttl || now.getTime() < cached.at) {
      cached = { at: now.getTime(), value: await getAppearance(opts.db) };
    }
    return templateHelpers(opts.accessUrl, cached.value, now, opts.emailLogoUrl);
  }

  return {
    helpers,
    async preview(p) {
      const template = await getTemplate(opts.db, p.templateId);
      if (!template) throw new NotFound();
      const h = await helpers({ fresh: true });
      try {
        const payload = buildPayload(
          { templateId: template.id, templateName: template.name, templateActions: template.actions, user: p.user, labels: p.labels ?? {}, data: p.data },
          h,
        );
        const m = prepare({ id: '', templateId: template.id, payload, title_template: template.title_template, body_template: template.body_template }, h);
        return {
          title: markdownToPlaintext(m.titleMarkdown),
          title_markdown: m.titleMarkdown,
          body: markdownToPlaintext(m.bodyMarkdown),
          body_markdown: m.bodyMarkdown,
          body_html: markdownToHtml(m.bodyMarkdown),
          actions: payload.actions,
        };
      } catch (err) {
        throw new Invalid('Failed to render the template.', (err as Error).message);
      }
    },
  };
}
