// Slack, Teams and Discord against a real local listener: the request each service documents
// (URL, headers, JSON shape, limits), how its errors map, and its rate-limit answer.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlackMethod } from '../../src/notifications/dispatch/slack.js';
import { createTeamsMethod, teamsFormatFor } from '../../src/notifications/dispatch/teams.js';
import { createDiscordMethod } from '../../src/notifications/dispatch/discord.js';
import { markdownToSlackMrkdwn } from '../../src/notifications/render/channels.js';
import type { DeliveryMethod, PreparedMessage } from '../../src/notifications/types.js';
import { startHttpSink, unusedPort, type HttpSink } from '../support/http-sink.js';

const sinks: HttpSink[] = [];
const methods: DeliveryMethod[] = [];
async function sink(...args: Parameters<typeof startHttpSink>): Promise<HttpSink> {
  const s = await startHttpSink(...args);
  sinks.push(s);
  return s;
}
function track<T extends DeliveryMethod>(m: T): T {
  methods.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(methods.splice(0).map((m) => m.close?.()));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

function message(over: Partial<PreparedMessage> = {}): PreparedMessage {
  return {
    id: randomUUID(),
    templateId: 'f517da0b-cdc9-410f-ab89-a86107c420ed',
    payload: {
      _version: '1.2',
      notification_name: 'Workspace Deleted',
      notification_template_id: 'f517da0b-cdc9-410f-ab89-a86107c420ed',
      user_id: '2d3b8a36-7b3c-4f5e-9d1a-0b5f1e1c2a3b',
      user_email: 'bobby@example.com',
      user_name: 'Bobby',
      user_username: 'bobby',
      actions: [
        { label: 'View workspaces', url: 'http://test.com/workspaces' },
        { label: 'View templates', url: 'http://test.com/templates' },
      ],
      labels: {},
      data: null,
      targets: null,
    },
    titleMarkdown: 'Workspace "bobby-workspace" deleted',
    bodyMarkdown: 'Your workspace **bobby-workspace** was _deleted_ by [autobuild](http://test.com/a?b=1&c=2).\n\nIt had < 2 users & > 0 agents.',
    helpers: { base_url: 'http://test.com', current_year: '2025', app_name: 'Herald', logo_url: 'http://test.com/logo.png' },
    ...over,
  };
}
const signal = () => AbortSignal.timeout(10_000);

describe('Slack mrkdwn', () => {
  it('converts emphasis, links, lists and code, and escapes &, <, >', () => {
    expect(markdownToSlackMrkdwn('**bold** and *it* ~~gone~~ `x<y`')).toBe('*bold* and _it_ ~gone~ `x&lt;y`');
    expect(markdownToSlackMrkdwn('[site](https://e.com/?a=1&b=2) & <b>')).toBe('<https://e.com/?a=1&b=2|site> &amp; &lt;b&gt;');
    expect(markdownToSlackMrkdwn('# Title\n\n- one\n- two\n\n1. a\n2. b')).toBe('*Title*\n\n• one\n• two\n\n1. a\n2. b');
    expect(markdownToSlackMrkdwn('```\ncode\n```')).toBe('```code```');
    // A relative or script link is not made a link.
    expect(markdownToSlackMrkdwn('[x](/relative) [y](ftp://h/)')).toBe('x y');
    expect(markdownToSlackMrkdwn('[x](javascript:alert(1))')).not.toMatch(/<javascript/);
  });
});

describe('Slack incoming webhook', () => {
  it('posts Block Kit: header = title, section = body in mrkdwn, buttons = actions', async () => {
    const s = await sink({ respond: { status: 200, body: 'ok' } });
    const m = track(createSlackMethod({ webhookUrl: `${s.url}/services/T000/B000/XXXX` }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: true });
    const [req] = await s.waitFor(1);
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/services/T000/B000/XXXX');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    const body = req.json as { text: string; blocks: any[] };
    expect(body.text).toBe('Workspace "bobby-workspace" deleted');
    expect(body.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Workspace "bobby-workspace" deleted', emoji: true } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'Your workspace *bobby-workspace* was _deleted_ by <http://test.com/a?b=1&c=2|autobuild>.\n\nIt had &lt; 2 users &amp; &gt; 0 agents.' },
      },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'action_0', text: { type: 'plain_text', text: 'View workspaces', emoji: true }, url: 'http://test.com/workspaces' },
          { type: 'button', action_id: 'action_1', text: { type: 'plain_text', text: 'View templates', emoji: true }, url: 'http://test.com/templates' },
        ],
      },
    ]);
  });

  it('keeps Block Kit limits: header 150, section 3000 (split), button text 75', async () => {
    const s = await sink();
    const m = track(createSlackMethod({ webhookUrl: s.url }));
    const long = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const msg = message({ titleMarkdown: 'T'.repeat(400), bodyMarkdown: long });
    msg.payload.actions = [{ label: 'L'.repeat(100), url: 'http://test.com/x' }];
    await m.deliver(msg, signal());
    const body = (await s.waitFor(1))[0].json as { blocks: any[] };
    expect(Array.from(body.blocks[0].text.text as string)).toHaveLength(150);
    const sections = body.blocks.filter((b) => b.type === 'section');
    expect(sections.length).toBeGreaterThan(1);
    for (const sec of sections) expect((sec.text.text as string).length).toBeLessThanOrEqual(3000);
    expect(sections.map((x) => x.text.text).join('\n')).toBe(long);
    expect(Array.from(body.blocks.at(-1).elements[0].text.text as string)).toHaveLength(75);
  });

  it('maps errors: 404 no_service and 403 invalid_token permanent, 5xx and refused retryable, 429 honours Retry-After', async () => {
    const s = await sink();
    const m = track(createSlackMethod({ webhookUrl: s.url }));
    s.respondWith({ status: 404, body: 'no_service' });
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: false, error: 'slack webhook: HTTP 404 no_service' });
    s.respondWith({ status: 403, body: 'invalid_token' });
    expect(await m.deliver(message(), signal())).toMatchObject({ ok: false, retryable: false, error: 'slack webhook: HTTP 403 invalid_token' });
    s.respondWith({ status: 410, body: 'channel_is_archived' });
    expect(await m.deliver(message(), signal())).toMatchObject({ ok: false, retryable: false });
    s.respondWith({ status: 500, body: 'internal' });
    expect(await m.deliver(message(), signal())).toMatchObject({ ok: false, retryable: true });
    s.respondWith({ status: 429, headers: { 'Retry-After': '7' }, body: 'rate_limited' });
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: true, error: 'slack webhook: HTTP 429 rate_limited', retryAfterMs: 7000 });
    const dead = track(createSlackMethod({ webhookUrl: `http://127.0.0.1:${await unusedPort()}/x` }));
    expect(await dead.deliver(message(), signal())).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('Slack bot token (Web API)', () => {
  function slackApi(s: HttpSink, answers: Record<string, unknown> = {}) {
    s.respondWith((req) => {
      const name = req.path.split('?')[0].split('/').pop() ?? '';
      const a = answers[name];
      if (a && typeof a === 'object' && 'status' in (a as object)) return a as never;
      return {
        status: 200,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(a ?? (name === 'users.lookupByEmail' ? { ok: true, user: { id: 'U0BOBBY' } } : { ok: true, channel: 'D1', ts: '1.2' })),
      };
    });
  }

  it('looks the recipient up by e-mail, then chat.postMessage to them with a Bearer token; the lookup is cached', async () => {
    const s = await sink();
    slackApi(s);
    const m = track(createSlackMethod({ botToken: 'xoxb-test-token', apiUrl: `${s.url}/api/` }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: true });
    const [lookup, post] = await s.waitFor(2);
    expect(lookup.method).toBe('GET');
    expect(lookup.path).toBe('/api/users.lookupByEmail?email=bobby%40example.com');
    expect(lookup.headers.authorization).toBe('Bearer xoxb-test-token');
    expect(post.method).toBe('POST');
    expect(post.path).toBe('/api/chat.postMessage');
    expect(post.headers.authorization).toBe('Bearer xoxb-test-token');
    expect(post.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = post.json as { channel: string; text: string; blocks: { type: string }[] };
    expect(body.channel).toBe('U0BOBBY');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions']);
    expect(await m.deliver(message(), signal())).toEqual({ ok: true });
    expect(s.requests.map((r) => r.path.split('?')[0])).toEqual(['/api/users.lookupByEmail', '/api/chat.postMessage', '/api/chat.postMessage']);
  });

  it('posts to the configured channel without a lookup', async () => {
    const s = await sink();
    slackApi(s);
    const m = track(createSlackMethod({ botToken: 'xoxb-t', channel: 'C0ALERTS', apiUrl: s.url }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: true });
    const reqs = await s.waitFor(1);
    expect(reqs).toHaveLength(1);
    expect((reqs[0].json as { channel: string }).channel).toBe('C0ALERTS');
  });

  it.each([
    ['invalid_auth', false],
    ['channel_not_found', false],
    ['no_service', false],
    ['not_in_channel', false],
    ['internal_error', true],
  ])('{ok:false,error:%s} → retryable %s', async (code, retry) => {
    const s = await sink();
    slackApi(s, { 'chat.postMessage': { ok: false, error: code } });
    const m = track(createSlackMethod({ botToken: 'xoxb-t', channel: 'C1', apiUrl: s.url }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: retry, error: `slack chat.postMessage: ${code}` });
  });

  it('an unknown e-mail is permanent; 429 on the API honours Retry-After', async () => {
    const s = await sink();
    slackApi(s, { 'users.lookupByEmail': { ok: false, error: 'users_not_found' } });
    const m = track(createSlackMethod({ botToken: 'xoxb-t', apiUrl: s.url }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: false, error: 'slack users.lookupByEmail: users_not_found' });
    slackApi(s, { 'users.lookupByEmail': { status: 429, headers: { 'Retry-After': '30' }, body: '' } });
    expect(await m.deliver(message(), signal())).toMatchObject({ ok: false, retryable: true, retryAfterMs: 30_000 });
  });

  it('never puts the token in a result', async () => {
    const s = await sink();
    slackApi(s, { 'chat.postMessage': { status: 401, body: 'bad xoxb-secret-token' } });
    const m = track(createSlackMethod({ botToken: 'xoxb-secret-token', channel: 'C1', apiUrl: s.url }));
    const r = await m.deliver(message(), signal());
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('xoxb-secret-token');
  });
});

describe('Microsoft Teams', () => {
  it('posts an Adaptive Card 1.4 attachment to a Workflows URL (202 is success)', async () => {
    const s = await sink({ respond: { status: 202 } });
    const path = '/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x';
    const m = track(createTeamsMethod({ webhookUrl: s.url + path }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: true });
    const [req] = await s.waitFor(1);
    expect(req.path).toBe(path);
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json as any;
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    expect(body.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0].content;
    expect(card).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4' });
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: 'Workspace "bobby-workspace" deleted', weight: 'Bolder', wrap: true });
    expect(card.body[1]).toMatchObject({ type: 'TextBlock', text: message().bodyMarkdown, wrap: true });
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'View workspaces', url: 'http://test.com/workspaces' },
      { type: 'Action.OpenUrl', title: 'View templates', url: 'http://test.com/templates' },
    ]);
  });

  it('sends a MessageCard to a legacy Office 365 connector URL; a throttle text in a 200 is retried', async () => {
    expect(teamsFormatFor('https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d')).toBe('messagecard');
    expect(teamsFormatFor('https://prod-00.westus.logic.azure.com/workflows/x/triggers/manual/paths/invoke')).toBe('adaptive');
    const s = await sink({ respond: { status: 200, body: '1' } });
    const m = track(createTeamsMethod({ webhookUrl: `${s.url}/webhookb2/a@b/IncomingWebhook/c/d` }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: true });
    const card = (await s.waitFor(1))[0].json as any;
    expect(card).toMatchObject({ '@type': 'MessageCard', '@context': 'https://schema.org/extensions', title: 'Workspace "bobby-workspace" deleted' });
    expect(card.potentialAction[0]).toEqual({ '@type': 'OpenUri', name: 'View workspaces', targets: [{ os: 'default', uri: 'http://test.com/workspaces' }] });
    s.respondWith({ status: 200, body: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId ...' });
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: true, error: 'teams: throttled' });
  });

  it('maps errors: 400/404 permanent, 502 retryable, 429 with Retry-After', async () => {
    const s = await sink();
    const m = track(createTeamsMethod({ webhookUrl: s.url + '/workflows/x' }));
    s.respondWith({ status: 400, body: '{"error":{"code":"TriggerInputSchemaMismatch"}}' });
    expect(await m.deliver(message(), signal())).toMatchObject({ ok: false, retryable: false });
    s.respondWith({ status: 404 });
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: false, error: 'teams: HTTP 404' });
    s.respondWith({ status: 502 });
    expect(await m.deliver(message(), signal())).toMatchObject({ ok: false, retryable: true });
    s.respondWith({ status: 429, headers: { 'Retry-After': '3' } });
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: true, error: 'teams: HTTP 429', retryAfterMs: 3000 });
  });
});

describe('Discord', () => {
  it('posts one embed with mentions disabled and actions as Markdown links', async () => {
    const s = await sink({ respond: { status: 204 } });
    const m = track(createDiscordMethod({ webhookUrl: `${s.url}/api/webhooks/123/tok` }));
    expect(await m.deliver(message(), signal())).toEqual({ ok: true });
    const [req] = await s.waitFor(1);
    expect(req.path).toBe('/api/webhooks/123/tok');
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json as any;
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]).toMatchObject({
      title: 'Workspace "bobby-workspace" deleted',
      url: 'http://test.com/workspaces',
      description: `${message().bodyMarkdown}\n\n[View workspaces](http://test.com/workspaces) · [View templates](http://test.com/templates)`,
      footer: { text: 'Herald' },
    });
  });

  it('keeps the limits: title 256, description 4096 (links kept), embed total 6000', async () => {
    const s = await sink({ respond: { status: 204 } });
    const m = track(createDiscordMethod({ webhookUrl: s.url }));
    await m.deliver(message({ titleMarkdown: 'T'.repeat(300), bodyMarkdown: 'b'.repeat(5000) }), signal());
    const e = ((await s.waitFor(1))[0].json as any).embeds[0];
    expect(Array.from(e.title as string)).toHaveLength(256);
    expect((e.title as string).endsWith('…')).toBe(true);
    expect(Array.from(e.description as string)).toHaveLength(4096);
    expect(e.description).toMatch(/…\n\n\[View workspaces\]\(http:\/\/test\.com\/workspaces\) · \[View templates\]\(http:\/\/test\.com\/templates\)$/);
    expect(e.title.length + e.description.length + e.footer.text.length).toBeLessThanOrEqual(6000);
  });

  it('429 honours retry_after (seconds, fractional) from the body; 404 Unknown Webhook is permanent', async () => {
    const s = await sink();
    const m = track(createDiscordMethod({ webhookUrl: s.url }));
    s.respondWith({ status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '2' }, body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 1.234, global: false }) });
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: true, error: 'discord: HTTP 429 You are being rate limited.', retryAfterMs: 1234 });
    s.respondWith({ status: 404, body: JSON.stringify({ message: 'Unknown Webhook', code: 10015 }) });
    expect(await m.deliver(message(), signal())).toEqual({ ok: false, retryable: false, error: 'discord: HTTP 404 Unknown Webhook' });
    s.respondWith({ status: 500 });
    expect(await m.deliver(message(), signal())).toMatchObject({ ok: false, retryable: true });
  });
});
