// Property tests for the Markdown escaping of user values (issue 17 item 3): for 10,000 generated
// labels, the rendered Markdown contains no structure the label did not bring as text (link,
// image, HTML, heading, code, list, quote, table, emphasis beyond the template's own), and it
// reads back — as Markdown rendered by markdown-it and as Herald's plain text — as the label.

import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { escapeMarkdown } from '../../src/notifications/render/escape.js';
import { markdownToPlaintext } from '../../src/notifications/render/markdown.js';

// html: true — a bridge (Slack, Teams, a CommonMark renderer) may pass raw HTML; it must not find any.
const md = new MarkdownIt('default', { html: true, linkify: false, breaks: false });

const PUNCT = Array.from('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const UNIT = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PUNCT) },
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'Z', '1', '4', '2', 'é', '日') },
  { weight: 3, arbitrary: fc.constantFrom(' ', ' ', '\n', '\t') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);
// Fragments that form structure when not escaped, so the generator reaches them often.
const FRAGMENT = fc.constantFrom(
  '[a](http://x.example)', '![i](http://x.example/p.png)', '<b>', '<http://x.example>', '# ', '## ', '- ', '* ', '+ ',
  '1. ', '2) ', '> ', '**b**', '*e*', '_e_', '__s__', '`c`', '```', '~~s~~', '&amp;', '&#35;', '---', '===', '    ',
  '\t', '\n\n', '\n', '| a | b |\n|---|---|', '\\', '[r]: http://x.example', '<!-- c -->',
);
const LABEL = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.string({ unit: UNIT, maxLength: 8 }) }, { weight: 2, arbitrary: FRAGMENT }), { maxLength: 8 })
  .map((parts) => parts.join(''))
  .filter((s) => !s.includes('\0'));
const ONE_LINE = LABEL.map((s) => s.replace(/[\r\n]/g, ' ').trim()).filter((s) => s !== '');

/** Markdown collapses runs of white space and trims paragraphs. */
const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

function walk(tokens: Token[], f: (t: Token) => void): void {
  for (const t of tokens) {
    f(t);
    if (t.children) walk(t.children, f);
  }
}

/** The visible text of rendered Markdown, and the structures it made. */
function read(markdown: string): { text: string; types: Map<string, number> } {
  const tokens = md.parse(markdown, {});
  let text = '';
  const types = new Map<string, number>();
  walk(tokens, (t) => {
    types.set(t.type, (types.get(t.type) ?? 0) + 1);
    if (t.type === 'text' || t.type === 'code_inline' || t.type === 'html_inline') text += t.content;
    else if (t.type === 'softbreak' || t.type === 'hardbreak') text += ' ';
    else if (t.type === 'paragraph_close' || t.type === 'heading_close') text += ' ';
    else if (t.type === 'html_block' || t.type === 'code_block' || t.type === 'fence') text += t.content;
  });
  return { text: norm(text), types };
}

const FORBIDDEN = [
  'link_open', 'image', 'html_inline', 'html_block', 'heading_open', 'code_inline', 'code_block', 'fence',
  'bullet_list_open', 'ordered_list_open', 'blockquote_open', 'hr', 'table_open', 's_open', 'em_open', 'strong_open',
];

function structures(types: Map<string, number>, allowed: Record<string, number> = {}): string[] {
  return FORBIDDEN.filter((t) => (types.get(t) ?? 0) !== (allowed[t] ?? 0));
}

const RUNS = { numRuns: 10_000 };

describe('escapeMarkdown properties (10,000 labels each)', () => {
  it('a label alone (a custom title) makes no structure and reads as itself', () => {
    fc.assert(
      fc.property(LABEL, (label) => {
        const escaped = escapeMarkdown(label);
        const { text, types } = read(escaped);
        expect(structures(types), JSON.stringify({ label, escaped })).toEqual([]);
        expect(text, JSON.stringify({ label, escaped })).toBe(norm(label));
        expect(norm(markdownToPlaintext(escaped)), JSON.stringify({ label, escaped })).toBe(norm(label));
      }),
      RUNS,
    );
  });

  it('inside the template\'s own bold and quotes, only the template\'s bold remains', () => {
    fc.assert(
      fc.property(ONE_LINE, (label) => {
        const escaped = escapeMarkdown(label);
        const markdown = `Your workspace **${escaped}** was deleted.\n\nThe reason was "${escaped}".`;
        const { text, types } = read(markdown);
        expect(structures(types, { strong_open: 1 }), JSON.stringify({ label, escaped })).toEqual([]);
        expect(text).toBe(norm(`Your workspace ${label} was deleted. The reason was "${label}".`));
      }),
      RUNS,
    );
  });

  it('after a template line and before a template line, the label stays in its paragraph', () => {
    fc.assert(
      fc.property(LABEL, (label) => {
        const escaped = escapeMarkdown(label);
        const { text, types } = read(`Task prompt:\n${escaped}\nend`);
        expect(structures(types), JSON.stringify({ label, escaped })).toEqual([]);
        expect(text).toBe(norm(`Task prompt: ${label} end`));
      }),
      RUNS,
    );
  });
});

describe('escapeMarkdown returns plain labels as they are (its fast path)', () => {
  // A letter or digit, then letters, digits, spaces, hyphens and commas: what the fast path returns
  // unchanged. Such a label must make no structure alone, inside bold, or between template lines.
  const PLAIN = fc
    .tuple(
      fc.constantFrom('a', 'Z', '1', '4', 'é', '日'),
      fc.string({ unit: fc.constantFrom('a', 'Z', '0', '1', '9', 'é', '日', ' ', ' ', '-', '-', ','), maxLength: 16 }),
    )
    .map(([first, rest]) => first + rest);
  it('unchanged, and no structure in any position', () => {
    fc.assert(
      fc.property(PLAIN, (label) => {
        expect(escapeMarkdown(label)).toBe(label);
        // Inside bold without trailing blanks, as the bold test above (a blank before ** ends no bold, escaped or not).
        const inner = label.trimEnd();
        for (const [markdown, expected, allowed] of [
          [label, label, {}],
          [`Your workspace **${inner}** was deleted.`, `Your workspace ${inner} was deleted.`, { strong_open: 1 }],
          [`Task prompt:\n${label}\nend`, `Task prompt: ${label} end`, {}],
        ] as const) {
          const { text, types } = read(markdown);
          expect(structures(types, allowed), JSON.stringify({ label, markdown })).toEqual([]);
          expect(text, JSON.stringify({ label, markdown })).toBe(norm(expected));
        }
      }),
      RUNS,
    );
  });
});

describe('escapeMarkdown leaves text as written', () => {
  it.each([
    'Build #42 (main) done!',
    'bobby-workspace',
    'my_workspace',
    'a * b',
    'v1.2.3',
    '90% (of 10 GiB)',
    'C# & F#',
    'https://example.com/a_b?x=(1)',
    'Hello! How are you?',
    '--verbose',
    '1.0',
  ])('%s', (v) => {
    expect(escapeMarkdown(v)).toBe(v);
  });
});

describe('a custom notification renders the sender\'s Markdown', () => {
  const row = { title_template: '{{.Labels.custom_title}}', body_template: '{{.Labels.custom_message}}' };
  const message = [
    '**bold** _italic_ `a <b> code`',
    '',
    '- one',
    '- two',
    '',
    '[site](https://site.example/a) ![pixel](https://tracker.example/p.png) <img src=x onerror=alert(1)> [js](javascript:alert(1))',
    '',
    '```',
    '<kept> as code',
    '```',
  ].join('\n');

  it('as formatting, without HTML, remote images or other schemes', async () => {
    const { renderTitleBody } = await import('../../src/notifications/render/message.js');
    const { markdownToHtml } = await import('../../src/notifications/render/markdown.js');
    const { HELPERS, payload } = await import('./helpers.js');
    const { TEMPLATE_CUSTOM_NOTIFICATION } = await import('../../src/notifications/templates/catalogue.js');
    const p = payload({ notification_template_id: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: 'Build #42 (main) done!', custom_message: message } });
    const { title, body } = renderTitleBody(row, p, HELPERS);
    expect(title).toBe('Build #42 (main) done!');
    const html = markdownToHtml(body);
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>italic</em>');
    expect(html).toContain('<code>a &lt;b&gt; code</code>');
    expect(html).toMatch(/<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/);
    expect(html).toContain('<a href="https://site.example/a">site</a>');
    // the image is a link to it, never loaded
    expect(html).toContain('<a href="https://tracker.example/p.png">pixel</a>');
    expect(html).not.toMatch(/<img|href="javascript:/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('[js](javascript:alert(1))');
    expect(html).toContain('&lt;kept&gt; as code');
    // an HTML-enabled CommonMark renderer (a bridge) finds no HTML either
    expect(md.render(body)).not.toMatch(/<img|<a href="javascript/);
  });

  it('other templates still escape every label', async () => {
    const { renderTitleBody } = await import('../../src/notifications/render/message.js');
    const { HELPERS, payload } = await import('./helpers.js');
    const p = payload({ labels: { custom_title: 't', custom_message: '**bold**' } });
    expect(renderTitleBody(row, p, HELPERS).body).toBe('\\*\\*bold\\*\\*');
  });
});
