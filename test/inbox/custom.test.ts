import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { createApiKey } from '../../src/auth/sessions.js';
import { waitFor } from './helpers.js';

const BLANK = "provide a non-empty 'content.title' and 'content.message'";
const TITLE_LONG = "'content.title' must be less than 120 characters";
const MESSAGE_LONG = "'content.message' must be less than 2000 characters";

describeEachEngine('custom notifications', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;

  beforeAll(async () => {
    sink = await startHttpSink();
    server = await startTestServer(engine, {
      config: { notifications: { method: 'webhook', webhook: { endpoint: sink.url + '/hook', secret: '' }, customRateLimit: 5 } },
    });
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  // [case, body, detail, validation fields] — lengths are bytes of UTF-8, as the reference's len().
  const cases: [string, unknown, string | undefined, string[]][] = [
    ['no body', undefined, 'content is required', ['content']],
    ['no content', {}, 'content is required', ['content']],
    ['content null', { content: null }, 'content is required', ['content']],
    ['blank title', { content: { title: '   ', message: 'm' } }, BLANK, ['content.title']],
    ['blank message', { content: { title: 't', message: '\n\t ' } }, BLANK, ['content.message']],
    ['both missing', { content: {} }, BLANK, ['content.title', 'content.message']],
    ['title of 120 bytes', { content: { title: 'a'.repeat(120), message: 'm' } }, undefined, []],
    ['title of 121 bytes', { content: { title: 'a'.repeat(121), message: 'm' } }, TITLE_LONG, ['content.title']],
    ['message of 2000 bytes', { content: { title: 't', message: 'b'.repeat(2000) } }, undefined, []],
    ['message of 2001 bytes', { content: { title: 't', message: 'b'.repeat(2001) } }, MESSAGE_LONG, ['content.message']],
    // 40 × "é" is 40 characters but 80 bytes; 41 × "€" is 41 characters and 123 bytes.
    ['multibyte title within 120 bytes', { content: { title: 'é'.repeat(60), message: 'm' } }, undefined, []],
    ['multibyte title over 120 bytes, under 120 characters', { content: { title: '€'.repeat(41), message: 'm' } }, TITLE_LONG, ['content.title']],
    ['multibyte message over 2000 bytes', { content: { title: 't', message: '😀'.repeat(501) } }, MESSAGE_LONG, ['content.message']],
    ['both too long', { content: { title: 'x'.repeat(121), message: 'y'.repeat(2001) } }, TITLE_LONG, ['content.title', 'content.message']],
  ];

  it('validates exactly as the reference (400 "Invalid request body" with per-field validations)', async () => {
    // Several users so the table does not run into the per-user rate limit.
    let u = await createUser(owner);
    for (const [i, [name, body, detail, fields]] of cases.entries()) {
      if (i % 4 === 0) u = await createUser(owner);
      const r = await u.api.post('/notifications/custom', body);
      if (!detail) {
        expect(r.status, name).toBe(204);
        continue;
      }
      expect(r.status, name).toBe(400);
      expect(r.body.message, name).toBe('Invalid request body');
      expect(r.body.detail, name).toBe(detail);
      expect(r.body.validations.map((v: { field: string }) => v.field), name).toEqual(fields);
    }
  });

  it('refuses NUL characters and unpaired surrogates with 400 in its own words, and sends nothing', async () => {
    const u = await createUser(owner);
    // Raw JSON text: the escapes reach the server as the characters themselves.
    const bodies: [string, string, string[]][] = [
      ['NUL in the title', '{"content":{"title":"a\\u0000b","message":"m"}}', ['content.title']],
      ['NUL in the message', '{"content":{"title":"t","message":"\\u0000"}}', ['content.message']],
      ['lone high surrogate', '{"content":{"title":"x\\ud800y","message":"m"}}', ['content.title']],
      ['lone low surrogate in both', '{"content":{"title":"\\udc00","message":"z\\udfff"}}', ['content.title', 'content.message']],
    ];
    for (const [name, raw, fields] of bodies) {
      const r = await u.api.post('/notifications/custom', raw);
      expect(r.status, name).toBe(400);
      expect(r.body.message, name).toBe('Invalid request body');
      expect(r.body.detail, name).toMatch(/must not contain NUL characters or unpaired surrogates/);
      expect(r.body.validations.map((v: { field: string }) => v.field), name).toEqual(fields);
      // Herald's words only: nothing of PostgreSQL's error text.
      expect(JSON.stringify(r.body), name).not.toMatch(/unicode|escape sequence|byte sequence|UTF8|jsonb?\b/i);
    }
    // A well-formed pair (an emoji) is fine.
    expect((await u.api.post('/notifications/custom', '{"content":{"title":"\\ud83d\\ude00","message":"m"}}')).status).toBe(204);
    const n = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1 AND payload->'labels'->>'custom_title' <> '😀'`,
      [u.id],
    );
    expect(n.rows[0].n).toBe(0);
  });

  it('delivers to the caller through the deployment method and the inbox, with labels, dedupe data and created_by', async () => {
    const u = await createUser(owner);
    const before = sink.requests.length;
    expect((await u.api.post('/notifications/custom', { content: { title: 'Nightly build', message: 'finished in 3m' } })).status).toBe(204);
    const rows = await waitFor(async () => {
      const r = await server.db.query<{ method: string; status: string; payload: any; created_by: string }>(
        `SELECT method::text, status::text, payload, created_by FROM notification_messages WHERE user_id = $1 ORDER BY method::text`,
        [u.id],
      );
      return r.rows.length === 2 && r.rows.every((x) => x.status === 'sent') && r.rows;
    });
    expect(rows.map((r) => r.method)).toEqual(['inbox', 'webhook']);
    for (const r of rows) {
      expect(r.created_by).toBe(u.id);
      expect(r.payload.labels).toEqual({ custom_title: 'Nightly build', custom_message: 'finished in 3m' });
      expect(r.payload.notification_template_id).toBe(TEMPLATE_CUSTOM_NOTIFICATION);
      expect(r.payload.data.dedupe_bypass_ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    }
    await sink.waitFor(before + 1, 3000);
    const hook = sink.requests.slice(before).map((x) => x.json as any).find((j) => j.payload.user_id === u.id);
    expect(hook.title).toBe('Nightly build');
    const inbox = await u.api.get('/notifications/inbox');
    expect(inbox.body.notifications).toHaveLength(1);
    expect(inbox.body.notifications[0]).toMatchObject({ title: 'Nightly build', content: 'finished in 3m', template_id: TEMPLATE_CUSTOM_NOTIFICATION });
  });

  it('respects the preference: disabled means 204 and nothing is sent', async () => {
    const u = await createUser(owner);
    const put = await u.api.put('/users/me/notifications/preferences', { template_disabled_map: { [TEMPLATE_CUSTOM_NOTIFICATION]: true } });
    expect(put.status).toBe(200);
    // The messages are written before the 204 (enqueue runs in the request), so none now means none.
    expect((await u.api.post('/notifications/custom', { content: { title: 'quiet', message: 'please' } })).status).toBe(204);
    const n = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1`, [u.id]);
    expect(n.rows[0].n).toBe(0);
    expect((await u.api.get('/notifications/inbox')).body.notifications).toEqual([]);
  });

  it('forbids system users', async () => {
    const r = await server.db.query<{ id: string }>(
      `INSERT INTO users (email, username, name, hashed_password, login_type, rbac_roles, is_system)
       VALUES ('sys@example.com', 'sys-user', '', ''::bytea, 'none', '{}', true) RETURNING id`,
    );
    const { token } = await createApiKey(server.db, { userId: r.rows[0].id, loginType: 'token', lifetimeMs: 3_600_000 });
    const res = await owner.as(token).post('/notifications/custom', { content: { title: 't', message: 'm' } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ message: 'Forbidden', detail: 'System users cannot send custom notifications.' });
  });

  it('rate-limits each user with 429 and Retry-After', async () => {
    const u = await createUser(owner);
    const v = await createUser(owner);
    for (let i = 0; i < 5; i++) {
      expect((await u.api.post('/notifications/custom', { content: { title: `t${i}`, message: 'm' } })).status).toBe(204);
    }
    const limited = await u.api.post('/notifications/custom', { content: { title: 't5', message: 'm' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another user has their own budget.
    expect((await v.api.post('/notifications/custom', { content: { title: 't', message: 'm' } })).status).toBe(204);
  });

  it('lists the custom template and needs authentication', async () => {
    const r = await owner.get('/notifications/templates/custom');
    expect(r.status).toBe(200);
    expect(r.body.map((t: { id: string }) => t.id)).toEqual([TEMPLATE_CUSTOM_NOTIFICATION]);
    expect(r.body[0]).toMatchObject({ name: 'Custom Notification', kind: 'custom', group: 'Custom Events' });
    expect((await server.api.post('/notifications/custom', { content: { title: 't', message: 'm' } })).status).toBe(401);
  });
});
