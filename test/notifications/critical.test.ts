// Critical notifications (issue 17 item 4): the password-reset code cannot be switched off — not by
// the preferences API, not by an old "stop receiving" link, not by a preference stored earlier —
// its e-mail has no such link, and when e-mail is not configured the reset request says so (alike
// for every address) and the admin finds the failed delivery in the history.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { PASSCODE_UNDELIVERABLE } from '../../src/auth/service.js';
import { CRITICAL_TEMPLATES, TEMPLATE_CUSTOM_NOTIFICATION, TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE as OTP } from '../../src/notifications/templates/catalogue.js';

describeEachEngine('critical notifications', (engine) => {
  let sink: SmtpSink;
  let server: TestServer; // e-mail configured
  let bare: TestServer; // no e-mail, no webhook
  let owner: ApiHelper;
  let bareOwner: ApiHelper;

  beforeAll(async () => {
    sink = await startSmtpSink();
    [server, bare] = await Promise.all([
      startTestServer(engine, { config: { email: { smarthost: sink.smarthost, from: 'herald@example.com', hello: 'localhost' }, auth: { loginRateLimit: 1000 } } }),
      startTestServer(engine, { config: { auth: { loginRateLimit: 1000 } } }),
    ]);
    owner = (await setupOwner(server.api)).api;
    bareOwner = (await setupOwner(bare.api)).api;
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), bare?.stop()]);
    await sink?.close();
  });

  it('the templates API says which templates are critical', async () => {
    const r = await owner.get('/notifications/templates/system');
    expect(r.status).toBe(200);
    const critical = (r.body as { id: string; critical: boolean }[]).filter((t) => t.critical).map((t) => t.id);
    expect(critical).toContain(OTP);
    expect(critical).not.toContain(TEMPLATE_CUSTOM_NOTIFICATION);
    const rows = await server.db.query<{ id: string }>(`SELECT id::text AS id FROM notification_templates WHERE critical ORDER BY id`);
    expect(rows.rows.map((x) => x.id)).toEqual([...CRITICAL_TEMPLATES].sort());
  });

  it('disabling the password-reset template is 400 with a clear message, and nothing is stored', async () => {
    const u = await createUser(owner);
    const path = `/users/${u.id}/notifications/preferences`;
    const r = await u.api.put(path, { template_disabled_map: { [OTP]: true, [TEMPLATE_CUSTOM_NOTIFICATION]: true } });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('"One-Time Passcode" is a critical notification and cannot be disabled.');
    expect(r.body.validations).toEqual([{ field: `template_disabled_map.${OTP}`, detail: 'a critical notification cannot be disabled' }]);
    expect((await u.api.get(path)).body).toEqual([]);
    // Enabling it (what a "reset to defaults" sends) stays allowed.
    expect((await u.api.put(path, { template_disabled_map: { [OTP]: false } })).status).toBe(200);
    // An owner cannot do it for someone either.
    expect((await owner.put(path, { template_disabled_map: { [OTP]: true } })).status).toBe(400);
    // Nor per channel.
    const ch = await u.api.put(`${path}/channels`, { template_channels: { [OTP]: { smtp: false } } });
    expect(ch.status).toBe(400);
  });

  it('a choice stored before (an old link) does not stop the e-mail, and the e-mail has no "stop receiving" link', async () => {
    const u = await createUser(owner);
    // As a click on the footer link did before templates were critical.
    await server.db.query(`INSERT INTO notification_preferences (user_id, notification_template_id, disabled) VALUES ($1, $2, true)`, [u.id, OTP]);
    expect((await server.api.post('/users/otp/request', { email: u.email })).status).toBe(204);
    const mail = await waitFor(() => sink.messages.find((m) => m.envelopeTo.includes(u.email)), 15_000).catch(async (err) => {
      console.log(JSON.stringify((await server.db.query(`SELECT status, status_reason, method FROM notification_messages WHERE user_id = $1`, [u.id])).rows));
      throw err;
    });
    expect(mail.text).toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(mail.html).not.toContain('Stop receiving emails like this');
    expect(mail.html).toContain('manage your notification settings');
    // A non-critical e-mail keeps the link.
    expect((await u.api.post('/notifications/custom', { content: { title: 'hello', message: 'there' } })).status).toBe(204);
    const custom = await waitFor(() => sink.messages.find((m) => m.envelopeTo.includes(u.email) && m.subject === 'hello'), 15_000);
    expect(custom.html).toContain('Stop receiving emails like this');
  });

  it('without e-mail the reset request says so for every address, and the admin sees the failed delivery', async () => {
    const u = await createUser(bareOwner);
    const known = await bare.api.post('/users/otp/request', { email: u.email });
    const unknown = await bare.api.post('/users/otp/request', { email: `nobody-${Date.now()}@example.com` });
    expect(known.status).toBe(503);
    expect(unknown.status).toBe(503);
    expect(known.body).toEqual(unknown.body);
    expect(known.body.message).toBe(PASSCODE_UNDELIVERABLE);
    const history = await waitFor(async () => {
      const r = await bareOwner.get(`/notifications/messages?template_id=${OTP}&user_id=${u.id}`);
      const m = (r.body as { messages: { status: string; status_reason: string | null }[] }).messages;
      return m.length && m[0]!.status === 'permanent_failure' ? m : undefined;
    }, 15_000);
    expect(history[0]!.status_reason).toMatch(/e-mail is not configured/);
  });
});
