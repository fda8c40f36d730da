import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { createLogger } from '../../src/lib/logger.js';
import { TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE } from '../../src/notifications/templates/catalogue.js';

const OLD_PASSWORD = 'An0ther-Str0ng-Passw0rd!'; // what createUser gives everyone
const INCORRECT = 'Incorrect email or one-time passcode.';
import { sleep } from '../support/wait.js';
let pwCounter = 0;
const newPassword = () => `N3w-Passw0rd-${++pwCounter}-${Math.random().toString(36).slice(2, 8)}!`;

/** Collects everything the server logs, to prove no passcode or password gets there. */
function logCapture(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), text: () => chunks.join('') };
}

describeEachEngine('password reset by one-time passcode', (engine) => {
  let sink: SmtpSink;
  let server: TestServer; // default validity, generous rate limit
  let short: TestServer; // 1 ms validity, 3 requests a minute
  let disabled: TestServer; // --disable-password-auth
  let owner: ApiHelper;
  let shortOwner: ApiHelper;
  const logs = logCapture();
  const shortLogs = logCapture();
  const secrets: string[] = []; // every passcode and password sent: none may appear in the logs

  beforeAll(async () => {
    sink = await startSmtpSink();
    const email = { smarthost: sink.smarthost, from: 'herald@example.com', hello: 'localhost' };
    [server, short, disabled] = await Promise.all([
      startTestServer(engine, { config: { email, auth: { loginRateLimit: 1000 } }, log: logs.log }),
      startTestServer(engine, { config: { email, auth: { loginRateLimit: 3, oneTimePasscodeValidity: 1 } }, log: shortLogs.log }),
      startTestServer(engine, { config: { email, auth: { disablePasswordAuth: true } } }),
    ]);
    owner = (await setupOwner(server.api)).api;
    shortOwner = (await setupOwner(short.api)).api;
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), short?.stop(), disabled?.stop()]);
    await sink?.close();
  });

  const mailsTo = (email: string) => sink.messages.filter((m) => m.to.includes(email) || m.envelopeTo.includes(email));

  /** Asks for a passcode and returns the link's otp and email, read from the e-mail's text part. */
  async function requestCode(api: ApiHelper, email: string): Promise<{ otp: string; email: string; link: string }> {
    const before = mailsTo(email).length;
    const r = await api.post('/users/otp/request', { email });
    expect(r.status).toBe(204);
    const deadline = Date.now() + 5000;
    while (mailsTo(email).length <= before) {
      if (Date.now() > deadline) throw new Error(`no passcode e-mail for ${email}`);
      await sleep(20);
    }
    const mail = mailsTo(email)[before];
    const m = /Reset password: (\S+)/.exec(mail.text);
    expect(m, mail.text).toBeTruthy();
    const url = new URL(m![1]);
    const otp = url.searchParams.get('otp')!;
    secrets.push(otp);
    return { otp, email: url.searchParams.get('email')!, link: m![1] };
  }

  async function change(api: ApiHelper, email: string, otp: string, password: string) {
    if (password !== 'password') secrets.push(password);
    return api.post('/users/otp/change-password', { email, password, one_time_passcode: otp });
  }

  it('e-mails a link over SMTP that resets the password; the code works once; sessions are revoked', async () => {
    const u = await createUser(owner);
    const second = await server.api.post('/users/login', { email: u.email, password: OLD_PASSWORD });
    const token = await u.api.post(`/users/${u.id}/keys/tokens`, { token_name: 'ci' });
    expect(token.status).toBe(201);
    for (const t of [u.api.token, second.body.session_token, token.body.key]) {
      expect((await server.api.as(t).get('/users/me')).status).toBe(200);
    }

    const { otp, email, link } = await requestCode(server.api, u.email);
    expect(link.startsWith('http://test.com/reset-password/change?otp=')).toBe(true);
    expect(email).toBe(u.email);
    expect(otp).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const mail = mailsTo(u.email).at(-1)!;
    expect(mail.subject).toBe('Reset your password for Herald');

    const pw = newPassword();
    expect((await change(server.api, email, otp, pw)).status).toBe(204);
    // Every session and token of the user is gone.
    for (const t of [u.api.token, second.body.session_token, token.body.key]) {
      expect((await server.api.as(t).get('/users/me')).status).toBe(401);
    }
    expect((await server.api.post('/users/login', { email: u.email, password: OLD_PASSWORD })).status).toBe(401);
    expect((await server.api.post('/users/login', { email: u.email, password: pw })).status).toBe(201);
    const row = await server.database.db.query<{ h: Uint8Array | null; e: Date | null }>(
      `SELECT hashed_one_time_passcode AS h, one_time_passcode_expires_at AS e FROM users WHERE id = $1`,
      [u.id],
    );
    expect(row.rows[0]).toEqual({ h: null, e: null });

    // Reuse fails.
    const again = await change(server.api, email, otp, newPassword());
    expect(again.status).toBe(400);
    expect(again.body.message).toBe(INCORRECT);
    expect((await server.api.post('/users/login', { email: u.email, password: pw })).status).toBe(201);
  });

  it('stores only a hash with a 20 minute expiry, and never puts the passcode in the inbox', async () => {
    const u = await createUser(owner);
    const { otp } = await requestCode(server.api, u.email);
    const row = await server.database.db.query<{ h: Uint8Array; secs: number }>(
      `SELECT hashed_one_time_passcode AS h,
              extract(epoch FROM one_time_passcode_expires_at - now())::float8 AS secs
       FROM users WHERE id = $1`,
      [u.id],
    );
    const stored = Buffer.from(row.rows[0].h);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.includes(Buffer.from(otp))).toBe(false);
    expect(stored.toString('utf8')).not.toContain(otp);
    expect(stored.toString('hex')).not.toContain(otp.replace(/-/g, ''));
    expect(row.rows[0].secs).toBeGreaterThan(19 * 60);
    expect(row.rows[0].secs).toBeLessThanOrEqual(20 * 60 + 5);

    const msgs = await server.database.db.query<{ method: string; created_by: string; targets: string[] }>(
      `SELECT method::text AS method, created_by, targets FROM notification_messages
       WHERE user_id = $1 AND notification_template_id = $2`,
      [u.id, TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE],
    );
    expect(msgs.rows).toEqual([{ method: 'smtp', created_by: 'change-password-with-one-time-passcode', targets: [u.id] }]);
    const inbox = await server.database.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inbox_notifications WHERE user_id = $1 AND template_id = $2`,
      [u.id, TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE],
    );
    expect(inbox.rows[0].n).toBe(0);
  });

  it('refuses wrong, empty, missing, other users\' and same-as-old changes; failures keep the code', async () => {
    const a = await createUser(owner);
    const b = await createUser(owner);

    // No passcode requested.
    const none = await change(server.api, b.email, crypto.randomUUID(), newPassword());
    expect(none.status).toBe(400);
    expect(none.body.message).toBe(INCORRECT);

    const { otp } = await requestCode(server.api, a.email);
    // Wrong and empty passcodes.
    for (const code of [crypto.randomUUID(), otp.slice(0, -1), otp.toUpperCase() + 'x']) {
      const r = await change(server.api, a.email, code, newPassword());
      expect(r.status, code).toBe(400);
      expect(r.body.message).toBe(INCORRECT);
    }
    // An empty passcode is a validation error of its field, as the reference answers it.
    const empty = await change(server.api, a.email, '', newPassword());
    expect([empty.status, empty.body.message]).toEqual([400, 'Validation failed.']);
    expect(empty.body.validations).toEqual([{ field: 'one_time_passcode', detail: 'Validation failed for tag "required" with value: ""' }]);
    // Another user's e-mail with A's code.
    const other = await change(server.api, b.email, otp, newPassword());
    expect(other.status).toBe(400);
    expect(other.body.message).toBe(INCORRECT);
    // Unknown e-mail.
    const unknown = await change(server.api, 'nobody-here@example.com', otp, newPassword());
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe(INCORRECT);
    // Weak password.
    const weak = await change(server.api, a.email, otp, 'password');
    expect(weak.status).toBe(400);
    expect(weak.body.message).toBe('Invalid password.');
    expect(weak.body.validations).toEqual([{ field: 'password', detail: expect.any(String) }]);
    // Same as the old password.
    const same = await change(server.api, a.email, otp, OLD_PASSWORD);
    expect(same.status).toBe(400);
    expect(same.body.message).toBe('New password cannot match old password.');
    // Missing field: a validation error, never a 500.
    const missing = await server.api.post('/users/otp/change-password', { email: a.email, password: newPassword() });
    expect(missing.status).toBe(400);

    // None of that cleared the code, and nothing changed for B or A.
    expect((await server.api.post('/users/login', { email: a.email, password: OLD_PASSWORD })).status).toBe(201);
    expect((await server.api.post('/users/login', { email: b.email, password: OLD_PASSWORD })).status).toBe(201);
    expect((await change(server.api, a.email, otp, newPassword())).status).toBe(204);
  });

  it('a newer passcode replaces the earlier one', async () => {
    const u = await createUser(owner);
    const first = await requestCode(server.api, u.email);
    const second = await requestCode(server.api, u.email);
    expect(second.otp).not.toBe(first.otp);
    expect((await change(server.api, u.email, first.otp, newPassword())).body.message).toBe(INCORRECT);
    expect((await change(server.api, u.email, second.otp, newPassword())).status).toBe(204);
  });

  it('answers 204 for unknown, suspended and system users and sends them nothing', async () => {
    const suspended = await createUser(owner);
    expect((await owner.put(`/users/${suspended.id}/status/suspend`)).status).toBe(200);
    const addresses = ['nobody-at-all@example.com', suspended.email, 'prebuilds@system', 'NOBODY-AT-ALL@example.com'];
    for (const email of addresses) {
      const r = await server.api.post('/users/otp/request', { email });
      // The system user's address has no domain dot: refused as not an e-mail address, which tells nothing either.
      if (email === 'prebuilds@system') {
        expect([r.status, r.body.message], email).toEqual([400, 'Validation failed.']);
        continue;
      }
      expect(r.status, email).toBe(204);
      expect(r.body).toBeUndefined();
    }
    // A known address that is sent a code, as a marker that the dispatcher had time to deliver.
    const known = await createUser(owner);
    await requestCode(server.api, known.email);
    for (const email of addresses) {
      expect(mailsTo(email.toLowerCase()).filter((m) => m.subject.startsWith('Reset your password'))).toEqual([]);
    }
    const stored = await server.database.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users WHERE hashed_one_time_passcode IS NOT NULL AND (is_system OR status = 'suspended')`,
    );
    expect(stored.rows[0].n).toBe(0);
    // A malformed address is a validation error (as the reference validates it), and so is a missing field.
    const malformed = await server.api.post('/users/otp/request', { email: 'not an email' });
    expect([malformed.status, malformed.body.message, malformed.body.validations?.[0]?.field]).toEqual([400, 'Validation failed.', 'email']);
    expect((await server.api.post('/users/otp/request', {})).status).toBe(400);
  });

  it('expired passcodes are refused', async () => {
    const u = await createUser(shortOwner);
    const { otp } = await requestCode(short.api, u.email);
    await sleep(10);
    const r = await change(short.api, u.email, otp, newPassword());
    expect(r.status).toBe(400);
    expect(r.body.message).toBe(INCORRECT);
    expect((await short.api.post('/users/login', { email: u.email, password: OLD_PASSWORD })).status).toBe(201);
  });

  it('rate-limits both endpoints per client address with 429 and Retry-After', async () => {
    // The short server allows 3 a minute; the expiry test used 2 (request + change).
    const seen: number[] = [];
    let limited: Awaited<ReturnType<ApiHelper['post']>> | undefined;
    for (let i = 0; i < 4 && !limited; i++) {
      const r = await short.api.post('/users/otp/request', { email: 'rate@example.com' });
      seen.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(seen.slice(0, -1).every((s) => s === 204)).toBe(true);
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    const c = await short.api.post('/users/otp/change-password', { email: 'rate@example.com', password: newPassword(), one_time_passcode: 'x' });
    expect(c.status).toBe(429);
    expect(c.headers.get('retry-after')).toBeTruthy();
  });

  it('refuses both endpoints with 403 when password authentication is disabled', async () => {
    const r1 = await disabled.api.post('/users/otp/request', { email: 'someone@example.com' });
    expect(r1.status).toBe(403);
    expect(r1.body.message).toBe('Password authentication is disabled.');
    const r2 = await disabled.api.post('/users/otp/change-password', {
      email: 'someone@example.com',
      password: newPassword(),
      one_time_passcode: crypto.randomUUID(),
    });
    expect(r2.status).toBe(403);
    expect(r2.body.message).toBe('Password authentication is disabled.');
  });

  it('logs failed attempts without the passcode or the password', async () => {
    const all = logs.text() + shortLogs.text();
    expect(all).toContain('failed password change with one-time passcode');
    expect(all).toContain('one-time passcode requested');
    expect(secrets.length).toBeGreaterThan(10);
    for (const s of secrets) if (s.length >= 8) expect(all).not.toContain(s);
  });
});
