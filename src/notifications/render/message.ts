// Rendering a notification template row for a message: title and body as
// Markdown (with user-controlled values escaped), actions as plain URLs.

import type { Action, MessagePayload, TemplateHelpers } from '../types.js';
import { getParsed, renderTemplate } from './gotmpl.js';
import { escapePayloadForMarkdown } from './escape.js';

/** The parts of a notification_templates row needed to render a message. */
export interface TemplateRowForRender {
  title_template: string;
  body_template: string;
}

/** Render title and body (Markdown) with label/data escaping on. Throws on template errors. */
export function renderTitleBody(row: TemplateRowForRender, payload: MessagePayload, helpers: TemplateHelpers): { title: string; body: string } {
  // As renderTemplate(…, { escapeLabels: true }) for each, with the payload escaped once.
  const title = getParsed(row.title_template);
  const body = getParsed(row.body_template);
  const escaped = escapePayloadForMarkdown(payload);
  return { title: title.execute(escaped, helpers), body: body.execute(escaped, helpers) };
}

/**
 * Render a template row's actions: each URL is a template rendered without
 * escaping; labels are kept as stored (as the reference does). Accepts the
 * jsonb value as parsed JSON or as its text. Throws on template errors.
 */
export function renderActions(actions: Action[] | string | null | undefined, payload: MessagePayload, helpers: TemplateHelpers): Action[] {
  if (actions == null) return [];
  const list: unknown = typeof actions === 'string' ? JSON.parse(actions) : actions;
  if (!Array.isArray(list)) throw new Error('template actions must be a JSON array');
  return list.map((a: unknown) => {
    const { label, url } = (a ?? {}) as { label?: unknown; url?: unknown };
    if (typeof label !== 'string' || typeof url !== 'string') throw new Error('template action needs string "label" and "url"');
    return { label, url: renderTemplate(url, payload, helpers) };
  });
}
