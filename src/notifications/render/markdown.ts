// Markdown → HTML (for e-mail bodies) and Markdown → plain text (subjects, text parts, webhooks).
//
// HTML: markdown-it with raw HTML disabled and hard line breaks (the reference's HardLineBreak),
// typographic quotes/dashes (the reference's Smartypants), no linkify, then sanitize-html with a
// small allow-list so nothing but plain formatting, lists, tables and http(s)/mailto links survives.
//
// Plain text: a walk over markdown-it's token stream, in the spirit of glamour's ascii style
// without word wrapping: emphasis markers dropped, links as `text (url)`, bullets as `• `,
// numbered items as `N. `, blocks separated by a blank line, result trimmed.

import type MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import type sanitize from 'sanitize-html';
import { lazyModule } from '../../lib/lazy-module.js';

const markdownIt = lazyModule<typeof MarkdownIt>('markdown-it');
const sanitizeHtml = lazyModule<typeof sanitize>('sanitize-html');

let renderers: { html: MarkdownIt; text: MarkdownIt } | undefined;
const md = () =>
  (renderers ??= {
    html: new (markdownIt())('default', { html: false, breaks: true, linkify: false, typographer: true }),
    text: new (markdownIt())('default', { html: false, breaks: true, linkify: false, typographer: false }),
  });

const SAFE_HREF = /^(?:https?:|mailto:)/i;

const SANITIZE_OPTIONS: sanitize.IOptions = {
  allowedTags: [
    'p', 'br', 'hr',
    'strong', 'b', 'em', 'i', 's', 'del', 'code', 'pre', 'sup', 'sub',
    'a',
    'ul', 'ol', 'li',
    'blockquote',
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
    'table', 'thead', 'tbody', 'tr', 'th', 'td',
  ],
  allowedAttributes: {
    a: ['href'],
    ol: ['start'],
    th: ['style'],
    td: ['style'],
  },
  allowedStyles: {
    th: { 'text-align': [/^(?:left|right|center)$/] },
    td: { 'text-align': [/^(?:left|right|center)$/] },
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // Only absolute http(s) and mailto links survive.
    a: (tagName: string, attribs: sanitize.Attributes): sanitize.Tag => {
      const href = (attribs.href ?? '').trim();
      // an unsafe or relative link is unwrapped: 'span' is not allowed, so only its text stays
      return SAFE_HREF.test(href) ? { tagName, attribs: { href } } : { tagName: 'span', attribs: {} };
    },
  },
};

/** Renders Markdown to sanitised HTML suitable for an e-mail body. */
export function markdownToHtml(markdown: string): string {
  const raw = md().html.render(markdown ?? '');
  return sanitizeHtml()(raw, SANITIZE_OPTIONS).trim();
}

// ---------------------------------------------------------------------------------------------
// Plain text

interface Node {
  token: Token;
  children: Node[];
}

/** Turns markdown-it's flat block token stream into a tree of open/close pairs. */
function buildTree(tokens: Token[]): Node[] {
  const root: Node[] = [];
  const stack: Node[] = [];
  for (const token of tokens) {
    const parent = stack.length ? stack[stack.length - 1].children : root;
    if (token.nesting === 1) {
      const node: Node = { token, children: [] };
      parent.push(node);
      stack.push(node);
    } else if (token.nesting === -1) {
      stack.pop();
    } else {
      parent.push({ token, children: [] });
    }
  }
  return root;
}

function renderInline(tokens: Token[] | null): string {
  if (!tokens) return '';
  let out = '';
  const links: { href: string; start: number }[] = [];
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
      case 'code_inline':
      case 'html_inline':
        out += t.content;
        break;
      case 'softbreak':
      case 'hardbreak':
        out += '\n';
        break;
      case 'link_open':
        links.push({ href: t.attrGet('href') ?? '', start: out.length });
        break;
      case 'link_close': {
        const link = links.pop();
        if (!link) break;
        const text = out.slice(link.start);
        const href = link.href;
        if (href && text !== href && `mailto:${text}` !== href) {
          out += text ? ` (${href})` : href;
        }
        break;
      }
      case 'image': {
        const alt = renderInline(t.children);
        const src = t.attrGet('src') ?? '';
        out += alt && src ? `${alt} (${src})` : alt || src;
        break;
      }
      default:
        // emphasis, strong, strikethrough markers: dropped
        if (t.children) out += renderInline(t.children);
        break;
    }
  }
  return out;
}

function indentLines(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((line, i) => (line === '' ? '' : (i === 0 ? first : rest) + line))
    .join('\n');
}

function isTight(list: Node): boolean {
  for (const item of list.children) {
    for (const child of item.children) {
      if (child.token.type === 'paragraph_open') return child.token.hidden;
    }
  }
  return true;
}

function renderList(list: Node): string {
  const ordered = list.token.type === 'ordered_list_open';
  const startAttr = ordered ? Number(list.token.attrGet('start') ?? '1') : 1;
  let n = Number.isFinite(startAttr) ? startAttr : 1;
  const tight = isTight(list);
  const items = list.children
    .filter((c) => c.token.type === 'list_item_open')
    .map((item) => {
      const marker = ordered ? `${n++}. ` : '• ';
      const body = renderBlocks(item.children, tight ? '\n' : '\n\n');
      return indentLines(body, marker, ' '.repeat(marker.length)) || marker.trimEnd();
    });
  return items.join(tight ? '\n' : '\n\n');
}

function renderTable(table: Node): string {
  const rows: string[] = [];
  const walk = (nodes: Node[]): void => {
    for (const node of nodes) {
      if (node.token.type === 'tr_open') {
        const cells = node.children
          .filter((c) => c.token.type === 'th_open' || c.token.type === 'td_open')
          .map((c) => renderBlocks(c.children, ' ').replace(/\n/g, ' '));
        rows.push(cells.join(' | '));
      } else {
        walk(node.children);
      }
    }
  };
  walk(table.children);
  return rows.join('\n');
}

function renderBlock(node: Node): string {
  const t = node.token;
  switch (t.type) {
    case 'inline':
      return renderInline(t.children);
    case 'paragraph_open':
    case 'heading_open':
      return renderBlocks(node.children, '\n');
    case 'bullet_list_open':
    case 'ordered_list_open':
      return renderList(node);
    case 'blockquote_open':
      return indentLines(renderBlocks(node.children, '\n\n'), '> ', '> ');
    case 'code_block':
    case 'fence':
      return t.content.replace(/\n$/, '');
    case 'hr':
      return '--------';
    case 'table_open':
      return renderTable(node);
    case 'html_block':
      return t.content.replace(/\n$/, '');
    default:
      return node.children.length ? renderBlocks(node.children, '\n\n') : t.content;
  }
}

function renderBlocks(nodes: Node[], separator: string): string {
  return nodes
    .map(renderBlock)
    .filter((s) => s !== '')
    .join(separator);
}

/**
 * One line of text that Markdown leaves as it is apart from backslash escapes: it starts with a
 * letter (no list, heading or code block can start) and holds only letters, digits, spaces, a few
 * punctuation marks with no inline meaning, and backslash-escaped ASCII punctuation. Most rendered
 * notification titles and one-line bodies are like this; they skip the parser (docs/performance.md).
 */
const PLAIN_LINE = /^[A-Za-z](?:[A-Za-z0-9 ,.;:'"?/%@+-]|\\[!-/:-@[-`{-~])*$/;
const ESCAPED = /\\([!-/:-@[-`{-~])/g;

/** Renders Markdown to plain text (no wrapping), trimmed. */
export function markdownToPlaintext(markdown: string): string {
  if (markdown && markdown.length <= 4096 && PLAIN_LINE.test(markdown)) return markdown.replace(ESCAPED, '$1').trim();
  return parsedMarkdownToPlaintext(markdown);
}

/** markdownToPlaintext through the parser always (the fast path's reference, for tests). */
export function parsedMarkdownToPlaintext(markdown: string): string {
  const tokens = md().text.parse(markdown ?? '', {});
  return renderBlocks(buildTree(tokens), '\n\n')
    .replace(/[ \t]+$/gm, '')
    .trim();
}
