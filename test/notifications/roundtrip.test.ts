import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { waitFor } from '../support/wait.js';


describeEachEngine('notification round trip', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;

  beforeAll(async () => {
    sink = await startHttpSink();
    server = await startTestServer(engine, {
      config: { notifications: { method: 'webhook', webhook: { endpoint: sink.url + '/hook', secret: '' }, fetchInterval: 60_000 } },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  it('delivers a test notification to the webhook and the inbox, woken by NOTIFY rather than the poll', async () => {
    expect((await owner.post('/notifications/test')).status).toBe(204);
    // The poll interval is a minute: arriving at all within 10 s means NOTIFY woke the dispatcher.
    await sink.waitFor(1, 10_000);
    const body = sink.requests[0].json as any;
    expect(body._version).toBe('1.1');
    expect(body.payload.notification_template_id).toBe(TEMPLATE_TEST_NOTIFICATION);
    expect(body.title).toBe('A test notification');
    expect(body.payload.actions).toEqual([{ label: 'View notification settings', url: 'http://test.com/deployment/notifications?tab=settings' }]);
    const rows = await waitFor(async () => {
      const r = await server.db.query<{ method: string; status: string }>(
        `SELECT method, status FROM notification_messages WHERE user_id = $1 ORDER BY method::text`,
        [ownerId],
      );
      return r.rows.every((x) => x.status === 'sent') && r.rows.length === 2 && r.rows;
    });
    expect(rows.map((r) => r.method)).toEqual(['webhook', 'inbox'].sort());
    const inbox = await server.db.query<{ title: string }>(`SELECT title FROM inbox_notifications WHERE user_id = $1`, [ownerId]);
    expect(inbox.rows).toEqual([{ title: 'A test notification' }]);
  });

  it('shows the delivery history to owners', async () => {
    const r = await owner.get('/notifications/messages?method=webhook');
    expect(r.status).toBe(200);
    expect(r.body.count).toBeGreaterThanOrEqual(1);
    expect(r.body.messages[0]).toMatchObject({ method: 'webhook', status: 'sent', attempt_count: 1, template_name: 'Troubleshooting Notification' });
  });
});
