import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { escapeMarkdown, escapePayloadForMarkdown } from '../../src/notifications/render/escape.js';
import { renderActions, renderTitleBody } from '../../src/notifications/render/message.js';
import { renderTemplate } from '../../src/notifications/render/gotmpl.js';
import { HELPERS, payload } from './helpers.js';

const md = new MarkdownIt('default', { html: true, linkify: false, breaks: true });

const DELETED = {
  title_template: 'Workspace "{{.Labels.name}}" deleted',
  body_template:
    'Your workspace **{{.Labels.name}}** was deleted.\n\nThe specified reason was "**{{.Labels.reason}}{{ if .Labels.initiator }} ({{ .Labels.initiator }}){{end}}**".',
};

describe('escapeMarkdown', () => {
  it('leaves ordinary values unchanged', () => {
    for (const v of [
      'bobby-workspace',
      'my workspace 2',
      'angry_torvalds',
      'docker_container.main',
      '/home/coder',
      'http://example.com/a/b',
      'v1.2.3',
      '90%',
      'autodeleted due to dormancy',
      'None provided',
      'Bobby',
      "it's fine: really",
      'émilie',
      '3 days',
      '1.0',
      '2.5.1-rc1',
      '-rc1',
      'a-b - c',
    ]) {
      expect(escapeMarkdown(v)).toBe(v);
    }
  });

  it('escapes Markdown syntax only where it would form structure', () => {
    expect(escapeMarkdown('[x](http://evil)')).toBe('\\[x\\](http://evil)');
    expect(escapeMarkdown('<img src=x>')).toBe('\\<img src=x>');
    expect(escapeMarkdown('**bold** _em_ `code`')).toBe('\\*\\*bold\\*\\* \\_em\\_ \\`code\\`');
    expect(escapeMarkdown('# heading')).toBe('\\# heading');
    expect(escapeMarkdown('#42 is not a heading')).toBe('#42 is not a heading');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('1. item')).toBe('1\\. item');
    expect(escapeMarkdown('12.')).toBe('12\\.');
    expect(escapeMarkdown('---')).toBe('\\---');
    expect(escapeMarkdown('-')).toBe('\\-');
    expect(escapeMarkdown('a\\b')).toBe('a\\b');
    expect(escapeMarkdown('a\\*')).toBe('a\\\\\\*');
    expect(escapeMarkdown('x | y ~ z + !')).toBe('x | y ~ z + !');
    expect(escapeMarkdown('~~gone~~')).toBe('\\~\\~gone\\~\\~');
    expect(escapeMarkdown('&amp; &copy; & x')).toBe('\\&amp; \\&copy; & x');
    expect(escapeMarkdown('line\n- item\n2. two\n===\n> q')).toBe('line\n\\- item\n2\\. two\n\\===\n\\> q');
    expect(escapeMarkdown('a\n\n    code')).toBe('a\n\n&#32;   code');
    expect(escapeMarkdown('{{.Labels.x}}')).toBe('{{.Labels.x}}');
  });

  it('a two-line value cannot make a table (found by the property test: "|" over ":---")', () => {
    for (const v of ['|\n:---', 'a | b\n-: | :-', '|x|\n|:--|']) {
      const tokens = md.parse(escapeMarkdown(v), {}).map((t) => t.type);
      expect(tokens, JSON.stringify(v)).not.toContain('table_open');
      expect(md.renderInline(escapeMarkdown(v).replace(/\n/g, ' '))).toBe(md.utils.escapeHtml(v.replace(/\n/g, ' ')));
    }
    expect(escapeMarkdown('a:-b\nc')).toBe('a:-b\nc');
  });
});

describe('escaped rendering', () => {
  it('a link in a workspace name does not survive as a link', () => {
    const p = payload({ labels: { name: '[click me](http://evil.example)', reason: 'r' } });
    const { title, body } = renderTitleBody(DELETED, p, HELPERS);
    expect(body).toContain('**\\[click me\\](http://evil.example)**');
    const html = md.render(body) + md.renderInline(title);
    expect(html).not.toMatch(/<a /);
    expect(html).toContain('[click me](http://evil.example)');
  });

  it('an HTML tag in a workspace name does not survive as a tag', () => {
    const p = payload({ labels: { name: '<img src=x onerror=alert(1)>', reason: '<script>x</script>' } });
    const { body } = renderTitleBody(DELETED, p, HELPERS);
    const html = md.render(body);
    expect(html).not.toMatch(/<img|<script/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('an image or emphasis in a custom notification is literal', () => {
    const row = { title_template: '{{.Labels.custom_title}}', body_template: '{{.Labels.custom_message}}' };
    const p = payload({ labels: { custom_title: '![x](http://evil/p.png)', custom_message: '*hi* __there__\n# big' } });
    const { title, body } = renderTitleBody(row, p, HELPERS);
    const html = md.render(title) + md.render(body);
    expect(html).not.toMatch(/<img|<em>|<strong>|<h1>/);
  });

  it('plain names render exactly as without escaping', () => {
    const p = payload({ labels: { name: 'bobby-workspace', reason: 'autodeleted due to dormancy', initiator: 'autobuild' } });
    expect(renderTitleBody(DELETED, p, HELPERS)).toEqual({
      title: 'Workspace "bobby-workspace" deleted',
      body: 'Your workspace **bobby-workspace** was deleted.\n\nThe specified reason was "**autodeleted due to dormancy (autobuild)**".',
    });
  });

  it('escapes data strings and nested keys but not top-level data keys', () => {
    const p = payload({
      data: { replacements: { '[Re-auth](https://attacker.example/login)': 'a, b', 'null_resource.ok': '<b>' }, n: 2 },
    });
    const e = escapePayloadForMarkdown(p);
    expect(e.data).toEqual({
      replacements: { '\\[Re-auth\\](https://attacker.example/login)': 'a, b', 'null_resource.ok': '\\<b>' },
      n: 2,
    });
    // the original is untouched
    expect(p.data!.replacements).toHaveProperty('null_resource.ok', '<b>');
    const out = renderTemplate('{{range $k, $v := .Data.replacements}}_{{$k}}_ {{$v}};{{end}}', p, HELPERS, { escapeLabels: true });
    expect(md.render(out)).not.toMatch(/<a |<b>/);
  });

  it('does not escape action URLs', () => {
    const p = payload({ user_username: 'bobby', labels: { name: 'ws_[1]' } });
    expect(renderActions([{ label: 'View workspace', url: '{{ base_url }}/@{{.UserUsername}}/{{.Labels.name}}' }], p, HELPERS)).toEqual([
      { label: 'View workspace', url: 'http://test.com/@bobby/ws_[1]' },
    ]);
    expect(renderActions('[{"label":"a","url":"{{base_url}}"}]', p, HELPERS)).toEqual([{ label: 'a', url: 'http://test.com' }]);
    expect(renderActions(null, p, HELPERS)).toEqual([]);
  });
});
