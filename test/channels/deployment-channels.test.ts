// Deployment destinations end to end: configured channels are listed as dispatch methods, can be
// chosen per template, and the dispatcher delivers through them (both engines).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { waitFor } from '../support/wait.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';

describeEachEngine('deployment chat destinations', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;

  beforeAll(async () => {
    sink = await startHttpSink({
      respond: (req) =>
        req.path.startsWith('/slack/')
          ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ok: true }) }
          : { status: req.path.startsWith('/discord') ? 204 : 202 },
    });
    server = await startTestServer(engine, {
      config: {
        notifications: {
          slack: { botToken: 'xoxb-e2e', channel: 'C0E2E', apiUrl: `${sink.url}/slack/`, webhookUrl: '' },
          teams: { webhookUrl: `${sink.url}/teams/workflows/1` },
          discord: { webhookUrl: `${sink.url}/discord/api/webhooks/1/t` },
          fetchInterval: 200,
        },
      },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  it('lists configured channels in dispatch-methods', async () => {
    const r = await owner.get('/notifications/dispatch-methods');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ available: ['smtp', 'webhook', 'slack', 'teams', 'discord', 'webpush'], default: 'smtp' });
  });

  it.each([
    ['slack', '/slack/chat.postMessage'],
    ['teams', '/teams/workflows/1'],
    ['discord', '/discord/api/webhooks/1/t'],
  ])('a template set to %s is delivered there', async (method, path) => {
    // A custom notification goes through its template's method (the test notification goes through
    // every configured one, so it cannot show the per-template choice).
    expect((await owner.put(`/notifications/templates/${TEMPLATE_CUSTOM_NOTIFICATION}/method`, { method })).status).toBe(200);
    const before = sink.requests.length;
    const title = `Through ${method}`;
    expect((await owner.post('/notifications/custom', { content: { title, message: 'from the channel test' } })).status).toBe(204);
    await waitFor(() => sink.requests.slice(before).some((r) => r.path === path), 10_000);
    const reqs = sink.requests.slice(before);
    expect(reqs.filter((r) => r.path.startsWith('/' + path.split('/')[1])).map((r) => r.path)).toEqual([path]);
    expect(JSON.stringify(reqs.find((r) => r.path === path)!.json)).toContain(title);
    await waitFor(async () => {
      const rows = await server.db.query<{ status: string }>(
        `SELECT status::text AS status FROM notification_messages
         WHERE user_id = $1 AND method::text = $2 AND notification_template_id = $3`,
        [ownerId, method, TEMPLATE_CUSTOM_NOTIFICATION],
      );
      return rows.rows.length === 1 && rows.rows[0].status === 'sent';
    }, 10_000);
  });
});
