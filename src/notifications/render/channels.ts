// Renderers for the chat channels: what Slack, Microsoft Teams and Discord receive for a prepared
// message. Title and body arrive as Markdown (user values already escaped by the template step);
// each service gets its own dialect, within that service's documented limits.

import type MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import type { Action, PreparedMessage } from '../types.js';
import { markdownToPlaintext } from './markdown.js';
import { lazyModule } from '../../lib/lazy-module.js';

const markdownIt = lazyModule<typeof MarkdownIt>('markdown-it');
let parser: MarkdownIt | undefined;
const md = () => (parser ??= new (markdownIt())('default', { html: false, breaks: true, linkify: false, typographer: false }));

/** At most `max` characters (code points), ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

// ---------------------------------------------------------------------------------------------
// Slack mrkdwn (https://api.slack.com/reference/surfaces/formatting): *bold*, _italic_, ~strike~,
// `code`, ```pre```, <url|text>, and &, <, > escaped as entities. No headings or nested lists:
// headings become bold lines, list items bullets.

function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackInline(tokens: Token[] | null): string {
  let out = '';
  const links: { href: string; start: number }[] = [];
  for (const t of tokens ?? []) {
    switch (t.type) {
      case 'text':
        out += slackEscape(t.content);
        break;
      case 'code_inline':
        out += '`' + slackEscape(t.content) + '`';
        break;
      case 'softbreak':
      case 'hardbreak':
        out += '\n';
        break;
      case 'strong_open':
      case 'strong_close':
        out += '*';
        break;
      case 'em_open':
      case 'em_close':
        out += '_';
        break;
      case 's_open':
      case 's_close':
        out += '~';
        break;
      case 'link_open':
        links.push({ href: t.attrGet('href') ?? '', start: out.length });
        break;
      case 'link_close': {
        const link = links.pop();
        if (!link) break;
        const text = out.slice(link.start);
        // Only absolute http(s)/mailto links become links; anything else stays text.
        if (/^(https?:|mailto:)/i.test(link.href)) {
          const href = link.href.replace(/[<>|]/g, encodeURIComponent);
          out = out.slice(0, link.start) + (text && text !== link.href ? `<${href}|${text}>` : `<${href}>`);
        }
        break;
      }
      case 'image':
        out += slackEscape(t.content || t.attrGet('src') || '');
        break;
      default:
        if (t.children) out += slackInline(t.children);
    }
  }
  return out;
}

/** Converts the message Markdown to Slack mrkdwn. */
export function markdownToSlackMrkdwn(markdown: string): string {
  const tokens = md().parse(markdown ?? '', {});
  // Each block remembers the outermost list it is in: items of one list are joined by a newline.
  const blocks: { text: string; list: number }[] = [];
  const lists: { ordered: boolean; n: number }[] = [];
  let listId = 0;
  let outer = 0;
  let quote = 0;
  let pendingItem = '';
  const push = (text: string) => {
    const prefixed = quote > 0 ? text.split('\n').map((l) => `> ${l}`).join('\n') : text;
    const list = lists.length > 0 ? outer : 0;
    if (pendingItem) {
      blocks.push({ text: pendingItem + prefixed, list });
      pendingItem = '';
    } else if (lists.length > 0) {
      blocks.push({ text: '   '.repeat(lists.length) + prefixed, list });
    } else {
      blocks.push({ text: prefixed, list });
    }
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    switch (t.type) {
      case 'heading_open':
        push(`*${slackInline(tokens[i + 1]?.children ?? null)}*`);
        i += 2;
        break;
      case 'inline':
        push(slackInline(t.children));
        break;
      case 'fence':
      case 'code_block':
        push('```' + slackEscape(t.content.replace(/\n$/, '')) + '```');
        break;
      case 'hr':
        push('───');
        break;
      case 'blockquote_open':
        quote++;
        break;
      case 'blockquote_close':
        quote--;
        break;
      case 'bullet_list_open':
      case 'ordered_list_open':
        if (lists.length === 0) outer = ++listId;
        lists.push({ ordered: t.type === 'ordered_list_open', n: Number(t.attrGet('start') ?? '1') || 1 });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        break;
      case 'list_item_open': {
        const l = lists[lists.length - 1];
        const indent = '   '.repeat(Math.max(0, lists.length - 1));
        pendingItem = indent + (l?.ordered ? `${l.n++}. ` : '• ');
        break;
      }
      default:
        break;
    }
  }
  // Paragraphs are separated by a blank line, list items by a single newline.
  let out = '';
  for (let i = 0; i < blocks.length; i++) {
    if (i > 0) out += blocks[i].list !== 0 && blocks[i].list === blocks[i - 1].list ? '\n' : '\n\n';
    out += blocks[i].text;
  }
  return out.trim();
}

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, buttonText: 75, buttonUrl: 3000, actionsElements: 25, blocks: 50, text: 4000 } as const;

export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
  unfurl_links: boolean;
  unfurl_media: boolean;
}

/** Splits text into pieces of at most `max` characters, preferring line breaks. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (Array.from(rest).length > max) {
    const head = Array.from(rest).slice(0, max).join('');
    const cut = head.lastIndexOf('\n');
    const piece = cut > max / 2 ? head.slice(0, cut) : head;
    out.push(piece);
    rest = rest.slice(piece.length).replace(/^\n/, '');
  }
  if (rest) out.push(rest);
  return out;
}

function linkActions(actions: Action[] | null | undefined): Action[] {
  return (actions ?? []).filter((a) => a && typeof a.url === 'string' && isHttpUrl(a.url));
}

/** A Block Kit message: header = title, sections = body in mrkdwn, buttons = actions; `text` is the notification fallback. */
export function renderSlackMessage(msg: PreparedMessage): SlackMessage {
  const title = markdownToPlaintext(msg.titleMarkdown);
  const body = markdownToSlackMrkdwn(msg.bodyMarkdown);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title || ' ', SLACK_LIMITS.headerText), emoji: true } },
  ];
  const actions = linkActions(msg.payload.actions).slice(0, SLACK_LIMITS.actionsElements);
  const room = SLACK_LIMITS.blocks - 1 - (actions.length ? 1 : 0);
  const sections = chunks(body, SLACK_LIMITS.sectionText);
  if (sections.length > room) {
    sections.length = room;
    sections[room - 1] = truncate(sections[room - 1], SLACK_LIMITS.sectionText);
  }
  for (const s of sections) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: s } });
  if (actions.length) {
    blocks.push({
      type: 'actions',
      elements: actions.map((a, i) => ({
        type: 'button',
        action_id: `action_${i}`,
        text: { type: 'plain_text', text: truncate(a.label || a.url, SLACK_LIMITS.buttonText), emoji: true },
        url: a.url.slice(0, SLACK_LIMITS.buttonUrl),
      })),
    });
  }
  return { text: truncate(title, SLACK_LIMITS.text), blocks, unfurl_links: false, unfurl_media: false };
}

// ---------------------------------------------------------------------------------------------
// Microsoft Teams. Workflows webhooks take a message with an Adaptive Card attachment
// (https://adaptivecards.io, schema 1.4: what Teams renders everywhere); TextBlock renders a
// Markdown subset (bold, italic, lists, links), so the body Markdown is passed through.

export const ADAPTIVE_CARD_VERSION = '1.4';
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';

export function renderAdaptiveCard(msg: PreparedMessage): Record<string, unknown> {
  const title = markdownToPlaintext(msg.titleMarkdown);
  const card: Record<string, unknown> = {
    $schema: ADAPTIVE_CARD_SCHEMA,
    type: 'AdaptiveCard',
    version: ADAPTIVE_CARD_VERSION,
    msteams: { width: 'Full' },
    fallbackText: title,
    body: [
      { type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true, style: 'heading' },
      { type: 'TextBlock', text: msg.bodyMarkdown, wrap: true },
    ],
  };
  const actions = linkActions(msg.payload.actions);
  if (actions.length) card.actions = actions.map((a) => ({ type: 'Action.OpenUrl', title: a.label || a.url, url: a.url }));
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

/** The legacy Office 365 connector card (https://learn.microsoft.com/outlook/actionable-messages/message-card-reference). */
export function renderMessageCard(msg: PreparedMessage): Record<string, unknown> {
  const title = markdownToPlaintext(msg.titleMarkdown);
  const card: Record<string, unknown> = {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: truncate(title, 150),
    title,
    text: msg.bodyMarkdown,
  };
  const actions = linkActions(msg.payload.actions);
  if (actions.length) {
    card.potentialAction = actions.map((a) => ({ '@type': 'OpenUri', name: a.label || a.url, targets: [{ os: 'default', uri: a.url }] }));
  }
  return card;
}

// ---------------------------------------------------------------------------------------------
// Discord (https://discord.com/developers/docs/resources/webhook#execute-webhook): one embed.
// Webhooks not owned by an application cannot carry buttons, so actions are Markdown links.

export const DISCORD_LIMITS = { title: 256, description: 4096, embedTotal: 6000, footer: 2048 } as const;
const DISCORD_COLOR = 0x5865f2;

export function renderDiscordMessage(msg: PreparedMessage): Record<string, unknown> {
  const title = truncate(markdownToPlaintext(msg.titleMarkdown), DISCORD_LIMITS.title);
  const links = linkActions(msg.payload.actions)
    .map((a) => `[${(a.label || a.url).replace(/[[\]]/g, '')}](${a.url.replace(/[()\s]/g, encodeURIComponent)})`)
    .join(' · ');
  // The links are kept whole: the body is what is cut to fit.
  const room = DISCORD_LIMITS.description - (links ? Array.from(links).length + 2 : 0);
  let description = truncate(msg.bodyMarkdown, Math.max(0, room));
  if (links) description = description ? `${description}\n\n${links}` : links;
  const footer = truncate(msg.helpers.app_name || 'Herald', 64);
  const embed: Record<string, unknown> = { title, description: truncate(description, DISCORD_LIMITS.description), color: DISCORD_COLOR, footer: { text: footer } };
  const first = linkActions(msg.payload.actions)[0];
  if (first) embed.url = first.url;
  // Never let a rendered value ping @everyone, a role or a user.
  return { embeds: [embed], allowed_mentions: { parse: [] } };
}
