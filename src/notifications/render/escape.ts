// Markdown escaping of user-controlled values (product.md 2.6).
//
// Title and body templates are Markdown. Label values (workspace names, task
// prompts, custom titles and messages …) and data strings come from users, so
// before rendering they are backslash-escaped: a value cannot open a link, an
// image, an HTML tag, emphasis or a heading. Ordinary values — words, spaces,
// dashes inside words, dots, slashes, colons, intra-word underscores — are left
// exactly as they are, so the rendered Markdown equals the reference's.
//
// Action URLs are rendered from the unescaped payload (they are not Markdown).

import type { MessagePayload } from '../types.js';

/** Characters that are always backslash-escaped. */
const ALWAYS = new Set(['\\', '`', '*', '{', '}', '[', ']', '(', ')', '<', '>', '#', '+', '!', '|', '~']);

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

/** Backslash-escape a string so that Markdown renders it literally. */
export function escapeMarkdown(value: string): string {
  let out = '';
  const chars = Array.from(value);
  let lineStart = true; // at the start of a line (only spaces/tabs seen so far)
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\n' || c === '\r') {
      out += c;
      lineStart = true;
      continue;
    }
    if (lineStart && (c === ' ' || c === '\t')) {
      out += c;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      const next = chars[i + 1];
      const endsMarker = next === undefined || next === ' ' || next === '\t' || next === '\n' || next === '\r';
      // A bullet, a thematic break or a setext underline at the start of a line.
      if ((c === '-' || c === '=') && (endsMarker || next === c)) {
        out += '\\' + c;
        continue;
      }
      // An ordered-list marker: digits followed by "." and a space ("1.0" stays as is).
      if (/[0-9]/.test(c)) {
        let j = i;
        while (j < chars.length && /[0-9]/.test(chars[j]!)) j++;
        const after = chars[j + 1];
        if (chars[j] === '.' && (after === undefined || after === ' ' || after === '\t' || after === '\n' || after === '\r')) {
          out += chars.slice(i, j).join('') + '\\.';
          i = j;
          continue;
        }
      }
    }
    if (ALWAYS.has(c)) {
      out += '\\' + c;
    } else if (c === '_') {
      // Intra-word underscores cannot start emphasis (CommonMark); keep "my_workspace" as is.
      out += isWordChar(chars[i - 1]) && isWordChar(chars[i + 1]) ? '_' : '\\_';
    } else {
      out += c;
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
 * user's display name. Ids, e-mail, username and actions are kept.
 */
export function escapePayloadForMarkdown(p: MessagePayload): MessagePayload {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.labels ?? {})) labels[k] = typeof v === 'string' ? escapeMarkdown(v) : v;
  return {
    ...p,
    user_name: typeof p.user_name === 'string' ? escapeMarkdown(p.user_name) : p.user_name,
    labels,
    data: p.data == null ? p.data : (escapeData(p.data, false) as Record<string, unknown>),
  };
}
