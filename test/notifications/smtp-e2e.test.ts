import { waitFor } from '../support/wait.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, OWNER, type TestServer } from '../support/server.js';
import { startSmtpSink, tlsFixture, type SmtpSink } from '../support/smtp-sink.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';

describeEachEngine('e-mail delivery through the server', (engine) => {
  let server: TestServer;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ startTls: true, authMethods: ['PLAIN', 'LOGIN'], users: { herald: 's3cret' } });
    server = await startTestServer(engine, {
      config: {
        notifications: { fetchInterval: 60_000 },
        email: {
          from: 'Herald <herald@example.com>',
          smarthost: sink.smarthost,
          hello: 'herald.test',
          auth: { username: 'herald', password: 's3cret', identity: '', passwordFile: '' },
          tls: { startTls: true, caFile: tlsFixture('ca.crt'), serverName: 'localhost', insecureSkipVerify: false, certFile: '', keyFile: '' },
        },
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  it('sends the test notification as a multipart e-mail over STARTTLS with AUTH PLAIN, and to the inbox', async () => {
    const { api, userId } = await setupOwner(server.api);
    expect((await api.post('/notifications/test')).status).toBe(204);
    // The poll interval is a minute: arriving at all within 10 s means NOTIFY woke the dispatcher.
    const [mail] = await sink.waitFor(1, 10_000);
    expect(mail.secure).toBe(true);
    expect(sink.auths[0]).toMatchObject({ method: 'PLAIN', username: 'herald', ok: true });
    expect(mail.to).toEqual([OWNER.email]);
    expect(mail.subject).toBe('A test notification');
    expect(mail.messageId).toMatch(/@/);
    expect(mail.text).toContain(`Hi ${OWNER.name},`);
    expect(mail.text).toContain('This is a test notification.');
    expect(mail.text).toContain('View notification settings: http://test.com/deployment/notifications?tab=settings');
    expect(mail.html).toContain('<h1');
    expect(mail.html).toContain(`http://test.com/settings/notifications?disabled=${TEMPLATE_TEST_NOTIFICATION}`);
    expect(mail.html).toContain('Herald. All rights reserved');
    const inboxRows = await waitFor(async () => (await server.db.query(`SELECT 1 FROM inbox_notifications WHERE user_id = $1`, [userId])).rowCount);
    expect(inboxRows).toBe(1);
  });
});
