// Markdown escaping of user-controlled values (product.md 2.6).
//
// Title and body templates are Markdown. Label values (workspace names, task
// prompts, custom titles …) and data strings come from users, so before
// rendering they are escaped: a value cannot open a link, an image, an HTML
// tag or entity, a code span, emphasis, a heading, a list, a quote or a table.
// Only a character that would start such a structure IN ITS POSITION is
// backslash-escaped, so ordinary text — "Build #42 (main) done!", "v1.2.3",
// "my_workspace", "a * b" — stays exactly as written and the Markdown that
// bridges (Slack, Teams) pass on reads like the text. The value is treated as
// if it could start a line (a template may place it there) and as if
// anything could follow it.
//
// Action URLs are rendered from the unescaped payload (they are not Markdown).

import type { MessagePayload } from '../types.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../templates/catalogue.js';

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isBreak = (c: string | undefined): boolean => c === '\n' || c === '\r';
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}]/u.test(c);
/** CommonMark's escapable characters: ASCII punctuation. */
const isPunct = (c: string | undefined): boolean => c !== undefined && /[!-/:-@[-`{-~]/.test(c);

/** The rest of the line from i is only `c` and spaces: a thematic break or setext underline. */
function onlyMarks(chars: string[], i: number, c: string): boolean {
  for (let j = i; j < chars.length && !isBreak(chars[j]); j++) if (chars[j] !== c && !isSpace(chars[j])) return false;
  return true;
}

/** The rest of the line from i could be a table delimiter row: only `|`, `:`, `-` and blanks, with a `-`. */
function isDelimiterRow(chars: string[], i: number): boolean {
  let dash = false;
  for (let j = i; j < chars.length && !isBreak(chars[j]); j++) {
    const c = chars[j]!;
    if (c === '-') dash = true;
    else if (c !== '|' && c !== ':' && !isSpace(c)) return false;
  }
  return dash;
}

/**
 * A letter or digit, then letters, digits, spaces, hyphens and commas on one line: nothing here can
 * start a Markdown structure (the one line start is a letter or digit; a hyphen only marks a list
 * item, a thematic break or a setext underline at a line start, and there is no '|' for a table).
 * test/render/escape-property.test.ts checks that such strings come back unchanged.
 */
const PLAIN_TEXT = /^[\p{L}\p{N}][\p{L}\p{N} ,-]*$/u;

/** Backslash-escape a string so that Markdown renders it as the same visible text. */
export function escapeMarkdown(value: string): string {
  // Most label values ("Order 42 confirmed"): returned as they are, without the walk below.
  if (PLAIN_TEXT.test(value)) return value;
  const chars = Array.from(value);
  const multiline = chars.some(isBreak);
  let out = '';
  let lineStart = true; // only spaces/tabs seen since the start of the line
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const prev = chars[i - 1];
    const next = chars[i + 1];
    if (isBreak(c)) {
      out += c;
      lineStart = true;
      continue;
    }
    if (lineStart && isSpace(c)) {
      // Four columns of indentation would make an indented code block (which shows backslashes):
      // the first blank becomes a character reference, so the line stays a paragraph.
      let col = 0;
      let j = i;
      for (; j < chars.length && isSpace(chars[j]); j++) col = chars[j] === '\t' ? col + 4 - (col % 4) : col + 1;
      if (col >= 4 && j < chars.length && !isBreak(chars[j])) {
        out += (c === '\t' ? '&#9;' : '&#32;') + chars.slice(i + 1, j).join('');
        i = j - 1;
        lineStart = false;
        continue;
      }
      out += c;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      const markerEnds = next === undefined || isSpace(next) || isBreak(next);
      // Heading: 1-6 '#' then a space or the end of the line.
      if (c === '#') {
        let j = i;
        while (chars[j] === '#') j++;
        if (j - i <= 6 && (j === chars.length || isSpace(chars[j]) || isBreak(chars[j]))) {
          out += '\\#';
          continue;
        }
      }
      // A table's delimiter row (":---", "-:|:-"): the pipes of the line above are escaped, but GFM
      // still counts an escaped pipe as a header line; breaking the delimiter row breaks the table.
      if (multiline && (c === ':' || c === '-') && isDelimiterRow(chars, i)) {
        out += '\\' + c;
        continue;
      }
      // Bullet, thematic break, setext underline, block quote, fenced code.
      const bullet = (c === '-' || c === '+' || c === '*') && markerEnds;
      if (bullet || ((c === '-' || c === '*' || c === '_' || c === '=') && onlyMarks(chars, i, c))) {
        out += '\\' + c;
        continue;
      }
      if (c === '>') {
        out += '\\>';
        continue;
      }
      // Ordered list: digits then "." or ")" then a space or the end ("1.0" stays as is).
      if (/[0-9]/.test(c)) {
        let j = i;
        while (j < chars.length && /[0-9]/.test(chars[j]!)) j++;
        const after = chars[j + 1];
        if (j - i <= 9 && (chars[j] === '.' || chars[j] === ')') && (after === undefined || isSpace(after) || isBreak(after))) {
          out += chars.slice(i, j).join('') + '\\' + chars[j];
          i = j;
          continue;
        }
      }
    }
    switch (c) {
      case '\\':
        // A backslash escapes punctuation and makes a hard break before a line end; at the end of
        // the value it could escape the template's next character.
        out += next === undefined || isPunct(next) || isBreak(next) ? '\\\\' : '\\';
        break;
      case '`': // code spans
      case '[': // links, images, reference definitions
      case ']':
      case '<': // HTML and autolinks
        out += '\\' + c;
        break;
      case '*':
      case '_': {
        // Between two spaces a delimiter cannot open or close emphasis; an intra-word "_" neither.
        const inert = (isSpace(prev) && isSpace(next)) || (c === '_' && isWordChar(prev) && isWordChar(next));
        out += inert ? c : '\\' + c;
        break;
      }
      case '~':
        // Strikethrough and fences need two tildes; one at the end could pair with the template's.
        out += prev === '~' || next === '~' || next === undefined ? '\\~' : '~';
        break;
      case '&':
        // An entity or numeric character reference would show as another character.
        out += /^&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});/.test(chars.slice(i, i + 40).join('')) ? '\\&' : '&';
        break;
      case '|':
        // Tables need a second line; a one-line value cannot make one.
        out += multiline ? '\\|' : '|';
        break;
      default:
        out += c;
    }
  }
  // Two trailing spaces before a line end make a hard break (visible text unchanged) — fine.
  return out;
}

const SAFE_LINK = /^<?(?:https?:\/\/|mailto:)/i;

/**
 * The sender's own Markdown (a custom notification's message is their text to themself), kept as
 * formatting — bold, italics, code, lists, quotes, http(s)/mailto links — without what could reach
 * further: raw HTML and autolinks are escaped, an image becomes a link to it (no remote image is
 * loaded by the reader), a link to another scheme loses its link. Code spans and fenced blocks
 * are left untouched (escapes there would show).
 */
export function sanitizeUserMarkdown(value: string): string {
  // Only '<', '![' and '[…](' are ever rewritten below: without '<' and '[' the text is kept as is.
  if (!value.includes('<') && !value.includes('[')) return value;
  let out = '';
  let inFence: string | null = null;
  for (const line of value.split(/(?<=\n)/)) {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (inFence) {
      out += line;
      if (fence && fence[1]!.startsWith(inFence)) inFence = null;
      continue;
    }
    if (fence) {
      inFence = fence[1]!;
      out += line;
      continue;
    }
    // Outside code spans only: split on backtick runs and pair equal runs.
    const parts = line.split(/(`+)/);
    let code: string | null = null;
    for (const part of parts) {
      if (/^`+$/.test(part)) {
        if (code === null) code = part;
        else if (code === part) code = null;
        out += part;
      } else if (code !== null) {
        out += part;
      } else {
        out += part
          .replace(/<(?=[A-Za-z/!?])/g, '\\<')
          .replace(/!\[/g, '[')
          .replace(/\[([^\]\n]*)\]\(\s*([^)\s]*)/g, (m, text: string, url: string) => (SAFE_LINK.test(url) ? m : `\\[${text}\\](${url}`));
      }
    }
  }
  return out;
}

function escapeData(v: unknown, escapeKeys: boolean): unknown {
  if (typeof v === 'string') return escapeMarkdown(v);
  if (Array.isArray(v)) return v.map((x) => escapeData(x, true));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      // Nested keys are content (templates range over them, e.g. resource
      // addresses); top-level data keys are identifiers the templates name.
      out[escapeKeys ? escapeMarkdown(k) : k] = escapeData(x, true);
    }
    return out;
  }
  return v;
}

/**
 * A copy of the payload whose user-controlled strings are Markdown-escaped:
 * label values, data strings (recursively, nested map keys included) and the
 * user's display name. A custom notification's message keeps its Markdown (sanitizeUserMarkdown). Ids, e-mail, username and actions are kept.
 */
export function escapePayloadForMarkdown(p: MessagePayload): MessagePayload {
  const labels: Record<string, string> = {};
  const custom = p.notification_template_id === TEMPLATE_CUSTOM_NOTIFICATION;
  for (const [k, v] of Object.entries(p.labels ?? {})) {
    if (typeof v !== 'string') labels[k] = v;
    else labels[k] = custom && k === 'custom_message' ? sanitizeUserMarkdown(v) : escapeMarkdown(v);
  }
  return {
    ...p,
    user_name: typeof p.user_name === 'string' ? escapeMarkdown(p.user_name) : p.user_name,
    labels,
    data: p.data == null ? p.data : (escapeData(p.data, false) as Record<string, unknown>),
  };
}
