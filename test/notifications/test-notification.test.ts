import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { waitFor } from '../support/wait.js';

// The dashboard and the docs say the test notification goes "through every configured method": with
// SMTP and a webhook both configured, the deployment's single method is not the only one tried.
describeEachEngine('test notification through every configured method', (engine) => {
  let server: TestServer;
  let hook: HttpSink;
  let smtp: SmtpSink;
  let owner: ApiHelper;
  let ownerId: string;

  beforeAll(async () => {
    hook = await startHttpSink();
    smtp = await startSmtpSink();
    server = await startTestServer(engine, {
      config: {
        email: { smarthost: smtp.smarthost, from: 'herald@example.com' },
        notifications: { method: 'smtp', webhook: { endpoint: hook.url + '/hook', secret: '' } },
      },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    await hook?.close();
    await smtp?.close();
  });

  it('is delivered by e-mail, to the webhook and to the inbox', async () => {
    expect((await owner.post('/notifications/test')).status).toBe(204);
    await smtp.waitFor(1, 10_000);
    await hook.waitFor(1, 10_000);
    expect((hook.requests[0].json as { payload: { notification_template_id: string } }).payload.notification_template_id).toBe(TEMPLATE_TEST_NOTIFICATION);
    const rows = await waitFor(async () => {
      const r = await owner.get(`/notifications/messages?template_id=${TEMPLATE_TEST_NOTIFICATION}`);
      const ms = r.body.messages as { method: string; status: string; user_id: string }[];
      return ms.length === 3 && ms.every((m) => m.status === 'sent') && ms;
    });
    expect(rows.map((m) => m.method).sort()).toEqual(['inbox', 'smtp', 'webhook']);
    expect(new Set(rows.map((m) => m.user_id))).toEqual(new Set([ownerId]));
  });
});
