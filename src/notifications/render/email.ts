// The e-mail a PreparedMessage becomes: subject, HTML part and plain-text part (reference §3.2).
// Every value interpolated into the HTML layout is HTML-escaped; the body HTML comes from
// markdownToHtml, which is sanitised.

import type { PreparedMessage } from '../types.js';
import { markdownToHtml, markdownToPlaintext } from './markdown.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** URLs placed in href/src: only http(s), mailto and relative URLs; anything else becomes '#'. */
function safeUrl(url: string): string {
  const u = (url ?? '').trim();
  if (/^(?:https?:|mailto:)/i.test(u)) return u;
  // relative (no scheme): "/x", "x/y", "?q", "#f"; a scheme is letters followed by ':' before any / ? #
  if (!/^[a-z][a-z0-9+.-]*:/i.test(u)) return u;
  return '#';
}

/** A subject is one line: line breaks from the Markdown title collapse to a space. */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

const FONT_STACK =
  "-apple-system, system-ui, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const LINK_STYLE = 'color: #2563eb; text-decoration: none;';
const BUTTON_STYLE =
  'display: inline-block; padding: 13px 24px; background-color: #020617; color: #f8fafc; ' +
  'text-decoration: none; border-radius: 8px; margin: 0 4px;';

/**
 * Dark mode: clients that honour `prefers-color-scheme` (Apple Mail, iOS, Outlook for Mac, Thunderbird,
 * Chromium) get a dark card with light text; the inline styles stay the light default for the rest.
 * The rules need !important to win over the inline styles. Clients that invert colours themselves
 * (Gmail apps) are told by `color-scheme` that both schemes are designed for.
 */
const DARK_STYLE =
  `    <style>\n` +
  `      :root { color-scheme: light dark; supported-color-schemes: light dark; }\n` +
  `      @media (prefers-color-scheme: dark) {\n` +
  `        .herald-body { background: #020617 !important; color: #e2e8f0 !important; }\n` +
  `        .herald-card { background-color: #0f172a !important; border-color: #1e293b !important; color: #e2e8f0 !important; }\n` +
  `        .herald-card a { color: #93c5fd !important; }\n` +
  `        .herald-card a.herald-button { background-color: #f8fafc !important; color: #020617 !important; }\n` +
  `        .herald-footer { border-top-color: #1e293b !important; color: #94a3b8 !important; }\n` +
  `      }\n` +
  `    </style>\n`;

export function renderEmail(msg: PreparedMessage): RenderedEmail {
  const { payload, helpers } = msg;
  const subject = oneLine(markdownToPlaintext(msg.titleMarkdown));
  const userName = payload.user_name || payload.user_username;
  const appName = helpers.app_name;
  const baseUrl = helpers.base_url;
  const base = baseUrl.replace(/\/+$/, '');
  const templateId = payload.notification_template_id || msg.templateId;
  const settingsUrl = `${base}/settings/notifications`;
  const unsubscribeUrl = `${settingsUrl}?disabled=${encodeURIComponent(templateId)}`;
  const actions = payload.actions ?? [];

  const bodyHtml = markdownToHtml(msg.bodyMarkdown);
  const bodyText = markdownToPlaintext(msg.bodyMarkdown);

  const buttons = actions
    .map(
      (a) =>
        `        <a href="${escapeHtml(safeUrl(a.url))}" style="${BUTTON_STYLE}" class="herald-button">\n` +
        `          ${escapeHtml(a.label)}\n` +
        `        </a>\n`,
    )
    .join('');

  const html =
    `<!doctype html>\n` +
    `<html lang="en">\n` +
    `  <head>\n` +
    `    <meta charset="UTF-8" />\n` +
    `    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n` +
    `    <meta name="color-scheme" content="light dark" />\n` +
    `    <meta name="supported-color-schemes" content="light dark" />\n` +
    `    <title>${escapeHtml(subject)}</title>\n` +
    DARK_STYLE +
    `  </head>\n` +
    `  <body class="herald-body" style="margin: 0; padding: 0; font-family: ${FONT_STACK}; color: #020617; background: #f8fafc;">\n` +
    `    <div class="herald-card" style="max-width: 600px; margin: 20px auto; padding: 60px; border: 1px solid #e2e8f0; border-radius: 8px; background-color: #fff; text-align: left; font-size: 14px; line-height: 1.5;">\n` +
    `      <div style="text-align: center;">\n` +
    `        <img src="${escapeHtml(safeUrl(helpers.logo_url))}" alt="${escapeHtml(appName)} Logo" style="height: 40px;" height="40" />\n` +
    `      </div>\n` +
    `      <h1 style="text-align: center; font-size: 24px; font-weight: 400; margin: 8px 0 32px; line-height: 1.5;">\n` +
    `        ${escapeHtml(subject)}\n` +
    `      </h1>\n` +
    `      <div style="line-height: 1.5;">\n` +
    `        <p>Hi ${escapeHtml(userName)},</p>\n` +
    `        ${bodyHtml}\n` +
    `      </div>\n` +
    (actions.length
      ? `      <div style="text-align: center; margin-top: 32px;">\n${buttons}      </div>\n`
      : '') +
    `      <div class="herald-footer" style="border-top: 1px solid #e2e8f0; color: #475569; font-size: 12px; margin-top: 64px; padding-top: 24px; line-height: 1.6;">\n` +
    `        <p>&copy;&nbsp;${escapeHtml(helpers.current_year)}&nbsp;${escapeHtml(appName)}. All rights reserved&nbsp;-&nbsp;` +
    `<a href="${escapeHtml(safeUrl(baseUrl))}" style="${LINK_STYLE}">${escapeHtml(baseUrl)}</a></p>\n` +
    `        <p><a href="${escapeHtml(safeUrl(settingsUrl))}" style="${LINK_STYLE}">Click here to manage your notification settings</a></p>\n` +
    // A critical notice (the password-reset code) cannot be switched off: no link that would try.
    (msg.critical ? '' : `        <p><a href="${escapeHtml(safeUrl(unsubscribeUrl))}" style="${LINK_STYLE}">Stop receiving emails like this</a></p>\n`) +
    `      </div>\n` +
    `    </div>\n` +
    `  </body>\n` +
    `</html>\n`;

  const textParts = [`Hi ${userName},`, bodyText];
  // A blank line between greeting, paragraphs and the actions; one line per action (as the reference).
  if (actions.length) textParts.push(actions.map((a) => `${a.label}: ${a.url}`).join('\n'));
  const text = textParts.filter((p) => p !== '').join('\n\n') + '\n';

  return { subject, html, text };
}
