import { waitFor } from '../support/wait.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';

const sample = (text: string, name: string, labels: Record<string, string>) => {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(name + '{') && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').pop()) : 0;
};

describeEachEngine('notification metrics values', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  beforeAll(async () => {
    sink = await startHttpSink({ respond: { status: 500 } });
    server = await startTestServer(engine, {
      config: { notifications: { method: 'webhook', webhook: { endpoint: sink.url, secret: '' }, maxSendAttempts: 3, retryInterval: 50, fetchInterval: 100 } },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  it('counts attempts by result, retries and synced updates as the reference does', async () => {
    const { userId } = await setupOwner(server.api);
    await server.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: 'a', custom_message: 'b' }, createdBy: 'test' }]);
    const synced = (t: string) => Number(t.split('\n').find((l) => l.startsWith('coderd_notifications_synced_updates_total '))?.split(' ').pop() ?? 0);
    const text = await waitFor(async () => {
      const t = (await server.api.get('/metrics')).body as string;
      return synced(t) >= 4 && t;
    });
    const attempts = (method: string, result: string) =>
      sample(text, 'coderd_notifications_dispatch_attempts_total', { method, result, notification_template_id: TEMPLATE_CUSTOM_NOTIFICATION });
    expect(attempts('webhook', 'temp_fail')).toBe(2);
    expect(attempts('webhook', 'perm_fail')).toBe(1);
    expect(attempts('inbox', 'success')).toBe(1);
    expect(sample(text, 'coderd_notifications_retry_count', { method: 'webhook' })).toBe(2);
    // 3 webhook attempts + 1 inbox delivery written back.
    expect(synced(text)).toBe(4);
    expect(text).toContain('coderd_notifications_queued_seconds_bucket{le="1",method="webhook"}');
    expect(text).toContain('coderd_notifications_dispatcher_send_seconds_bucket{le="0.001",method="inbox"}');
  });
});
