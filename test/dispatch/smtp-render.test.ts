import { describe, expect, test } from 'vitest';
import { renderEmail, escapeHtml } from '../../src/notifications/render/email.js';
import type { PreparedMessage } from '../../src/notifications/types.js';

const TEMPLATE_ID = 'f517da0b-cdc9-410f-ab89-a86107c420ed';

function message(over: Partial<PreparedMessage> = {}, payload: Partial<PreparedMessage['payload']> = {}): PreparedMessage {
  return {
    id: '02ee4935-73be-4fa1-a290-ff9999026b13',
    templateId: TEMPLATE_ID,
    titleMarkdown: 'Workspace "bobby-workspace" deleted',
    bodyMarkdown: 'Your workspace **bobby-workspace** was deleted.\n\nThe specified reason was "**autodeleted due to dormancy (autobuild)**".',
    helpers: { base_url: 'http://test.com', current_year: '2026', app_name: 'Herald', logo_url: 'https://herald.test/logo.png' },
    ...over,
    payload: {
      _version: '1.2',
      notification_name: 'Workspace Deleted',
      notification_template_id: TEMPLATE_ID,
      user_id: 'u1',
      user_email: 'bobby@herald.test',
      user_name: 'Bobby',
      user_username: 'bobby',
      actions: [
        { label: 'View workspaces', url: 'http://test.com/workspaces' },
        { label: 'View templates', url: 'http://test.com/templates' },
      ],
      labels: {},
      data: null,
      targets: null,
      ...payload,
    },
  };
}

describe('renderEmail', () => {
  test('subject is the plaintext title', () => {
    expect(renderEmail(message({ titleMarkdown: 'Workspace **x** [deleted](http://a)' })).subject).toBe(
      'Workspace x deleted (http://a)',
    );
    expect(renderEmail(message({ titleMarkdown: 'two\nlines' })).subject).toBe('two lines');
  });

  test('plaintext part: greeting, body, one line per action', () => {
    expect(renderEmail(message()).text).toBe(
      'Hi Bobby,\n\nYour workspace bobby-workspace was deleted.\n\nThe specified reason was "autodeleted due to dormancy (autobuild)".\n\n' +
        'View workspaces: http://test.com/workspaces\nView templates: http://test.com/templates\n',
    );
    expect(renderEmail(message({}, { actions: [] })).text).toBe(
      'Hi Bobby,\n\nYour workspace bobby-workspace was deleted.\n\nThe specified reason was "autodeleted due to dormancy (autobuild)".\n',
    );
  });

  test('user_name falls back to the username', () => {
    expect(renderEmail(message({}, { user_name: '' })).text.startsWith('Hi bobby,\n')).toBe(true);
  });

  test('HTML layout', () => {
    const { html } = renderEmail(message());
    expect(html).toContain('<title>Workspace &quot;bobby-workspace&quot; deleted</title>');
    expect(html).toMatch(/<div style="text-align: center;">\s*<img src="https:\/\/herald.test\/logo.png" alt="Herald Logo" style="height: 40px;"/);
    expect(html).toMatch(/<h1[^>]*>\s*Workspace &quot;bobby-workspace&quot; deleted\s*<\/h1>/);
    expect(html).toContain('<p>Hi Bobby,</p>');
    expect(html).toContain('<p>Your workspace <strong>bobby-workspace</strong> was deleted.</p>');
    // greeting before body, body before buttons, buttons before footer
    const order = ['Hi Bobby,', 'was deleted', 'View workspaces', 'View templates', 'All rights reserved'].map((s) => html.indexOf(s));
    expect(order.every((v, i) => v > 0 && (i === 0 || v > order[i - 1]))).toBe(true);
    expect(html).toMatch(/<a href="http:\/\/test.com\/workspaces" style="[^"]*background-color: #020617[^"]*" class="herald-button">\s*View workspaces\s*<\/a>/);
    expect(html).toContain('&copy;&nbsp;2026&nbsp;Herald. All rights reserved&nbsp;-&nbsp;<a href="http://test.com"');
    expect(html).toContain('>http://test.com</a>');
    expect(html).toMatch(/<a href="http:\/\/test.com\/settings\/notifications"[^>]*>Click here to manage your notification settings<\/a>/);
    expect(html).toMatch(
      new RegExp(`<a href="http://test.com/settings/notifications\\?disabled=${TEMPLATE_ID}"[^>]*>Stop receiving emails like this</a>`),
    );
    expect(html).not.toContain('Coder');
  });

  test('no button block without actions', () => {
    expect(renderEmail(message({}, { actions: [] })).html).not.toContain('margin-top: 32px;');
  });

  test('every interpolated value is escaped', () => {
    const evil = '<script>x</script>"\'&';
    const { html } = renderEmail(
      message(
        {
          titleMarkdown: evil,
          helpers: { base_url: 'http://t.test/"><script>', current_year: '<y>', app_name: '<b>App</b>', logo_url: 'https://l.test/"onerror="x' },
        },
        { user_name: '<i>Bob</i>', actions: [{ label: '<b>go</b>', url: 'javascript:alert(1)' }, { label: 'ok', url: 'https://a.test/?a=1&b="2"' }] },
      ),
    );
    expect(html).not.toMatch(/<script|<b>|<i>|<y>|"onerror|javascript:/);
    expect(html).toContain('&lt;i&gt;Bob&lt;/i&gt;');
    expect(html).toContain('alt="&lt;b&gt;App&lt;/b&gt; Logo"');
    expect(html).toContain('href="https://a.test/?a=1&amp;b=&quot;2&quot;"');
    expect(html).toContain('<a href="#"');
  });

  test('base_url with a trailing slash does not double the slash in links', () => {
    const { html } = renderEmail(message({ helpers: { base_url: 'https://h.test/', current_year: '2026', app_name: 'Herald', logo_url: '' } }));
    expect(html).toContain('href="https://h.test/settings/notifications"');
  });

  test('escapeHtml', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('renderEmail: dark mode', () => {
  test('declares both colour schemes and restyles the card, footer, links and buttons for dark readers', () => {
    const { html } = renderEmail(message());
    expect(html).toContain('<meta name="color-scheme" content="light dark" />');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const dark = /@media \(prefers-color-scheme: dark\) \{([\s\S]*)\}/.exec(style)?.[1] ?? '';
    for (const cls of ['herald-body', 'herald-card', 'herald-footer', 'herald-button']) {
      expect(dark, cls).toContain(`.${cls}`);
      expect(html, cls).toContain(`class="${cls}"`);
    }
    // Every action button carries the class the dark rules restyle.
    expect(html.match(/class="herald-button"/g)).toHaveLength(2);
  });
});
