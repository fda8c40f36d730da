import { waitFor } from '../support/wait.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createSmtpMethod, formatSmtpReply, type SmtpConfig } from '../../src/notifications/dispatch/smtp.js';
import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../../src/notifications/types.js';
import { startSmtpSink, tlsFixture, type SinkOptions, type SmtpSink } from '../support/smtp-sink.js';

const FROM = 'Herald <system@herald.test>';
const PASSWORD = 's3cr3t-p4ss';

let counter = 0;
function message(): PreparedMessage {
  counter++;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    templateId: 'f517da0b-cdc9-410f-ab89-a86107c420ed',
    titleMarkdown: 'Workspace **ws** deleted',
    bodyMarkdown: 'Your workspace **ws** was deleted. Ünïcödé ✓',
    helpers: { base_url: 'http://test.com', current_year: '2026', app_name: 'Herald', logo_url: 'https://herald.test/logo.png' },
    payload: {
      _version: '1.2',
      notification_name: 'Workspace Deleted',
      notification_template_id: 'f517da0b-cdc9-410f-ab89-a86107c420ed',
      user_id: 'u1',
      user_email: 'bobby@herald.test',
      user_name: 'Bobby',
      user_username: 'bobby',
      actions: [{ label: 'View workspaces', url: 'http://test.com/workspaces' }],
      labels: {},
      data: null,
      targets: null,
    },
  };
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sink(opts: SinkOptions = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(opts);
  cleanups.push(() => s.close());
  return s;
}

function method(config: Partial<SmtpConfig> & { smarthost: string }, log = { warn: vi.fn() }): DeliveryMethod {
  const m = createSmtpMethod({ from: FROM, hello: 'herald.test', ...config }, log);
  cleanups.push(() => m.close?.());
  return m;
}

const send = (m: DeliveryMethod, ms = 5000): Promise<DeliveryResult> => m.deliver(message(), AbortSignal.timeout(ms));

function failure(r: DeliveryResult): { retryable: boolean; error: string } {
  if (r.ok) throw new Error('expected a failure, got success');
  return r;
}

describe('SMTP delivery', () => {
  test('plain delivery: headers, both parts, Message-Id', async () => {
    const s = await sink();
    const m = method({ smarthost: s.smarthost });
    const msg = message();
    expect(await m.deliver(msg, AbortSignal.timeout(5000))).toEqual({ ok: true });
    const [got] = await s.waitFor(1);
    expect(got.envelopeFrom).toBe('system@herald.test');
    expect(got.envelopeTo).toEqual(['bobby@herald.test']);
    expect(got.helo).toBe('herald.test');
    expect(got.headers.from).toBe(FROM);
    expect(got.to).toEqual(['bobby@herald.test']);
    expect(got.subject).toBe('Workspace ws deleted');
    expect(got.messageId).toBe(`<${msg.id}@${hostname()}>`);
    expect(got.headers.date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
    expect(Math.abs(got.date!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(got.headers['mime-version']).toBe('1.0');
    expect(got.headers['content-type']).toMatch(/^multipart\/alternative;/);
    expect(got.text).toContain('Hi Bobby,');
    expect(got.text).toContain('Ünïcödé ✓');
    expect(got.text).toContain('View workspaces: http://test.com/workspaces');
    expect(got.html).toContain('<strong>ws</strong>');
    expect(got.html).toContain('Ünïcödé ✓');
    // text/plain first, then text/html, both UTF-8 quoted-printable
    const plain = got.raw.search(/Content-Type: text\/plain; charset=utf-8/i);
    const html = got.raw.search(/Content-Type: text\/html; charset=utf-8/i);
    expect(plain).toBeGreaterThan(0);
    expect(html).toBeGreaterThan(plain);
    expect(got.raw.match(/Content-Transfer-Encoding: quoted-printable/gi)).toHaveLength(2);
  });

  test('AUTH PLAIN with identity', async () => {
    const s = await sink({ authMethods: ['PLAIN'], users: { alice: PASSWORD } });
    const m = method({ smarthost: s.smarthost, auth: { identity: 'alice', username: 'alice', password: PASSWORD } });
    expect(await send(m)).toEqual({ ok: true });
    expect(s.auths).toEqual([{ method: 'PLAIN', username: 'alice', authzid: 'alice', ok: true }]);
    expect((await s.waitFor(1))[0].user).toBe('alice');
  });

  test('AUTH LOGIN when it is the only mechanism (warns once)', async () => {
    const s = await sink({ authMethods: ['LOGIN'], users: { alice: PASSWORD } });
    const log = { warn: vi.fn() };
    const m = method({ smarthost: s.smarthost, auth: { username: 'alice', password: PASSWORD }, pool: false }, log);
    expect(await send(m)).toEqual({ ok: true });
    expect(await send(m)).toEqual({ ok: true });
    expect(s.auths.map((a) => [a.method, a.ok])).toEqual([['LOGIN', true], ['LOGIN', true]]);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  test('PLAIN is preferred when both PLAIN and LOGIN are offered', async () => {
    const s = await sink({ authMethods: ['LOGIN', 'PLAIN'], users: { alice: PASSWORD } });
    const m = method({ smarthost: s.smarthost, auth: { username: 'alice', password: PASSWORD } });
    expect(await send(m)).toEqual({ ok: true });
    expect(s.auths.map((a) => a.method)).toEqual(['PLAIN']);
  });

  test('password file (read at delivery, trailing newline ignored, wins over password)', async () => {
    const s = await sink({ authMethods: ['PLAIN', 'LOGIN'], users: { alice: PASSWORD } });
    const dir = mkdtempSync(join(tmpdir(), 'herald-smtp-'));
    const file = join(dir, 'password');
    writeFileSync(file, `${PASSWORD}\n`);
    const m = method({ smarthost: s.smarthost, auth: { username: 'alice', password: 'wrong', passwordFile: file }, pool: false });
    expect(await send(m)).toEqual({ ok: true });
    expect(s.auths[0]).toMatchObject({ method: 'PLAIN', ok: true });

    const missing = method({ smarthost: s.smarthost, auth: { username: 'alice', passwordFile: join(dir, 'nope') } });
    const f = failure(await send(missing));
    expect(f.retryable).toBe(true);
    expect(f.error).toContain(join(dir, 'nope'));
  });

  test('bad password is retryable and never echoed', async () => {
    const s = await sink({ authMethods: ['PLAIN'], users: { alice: PASSWORD } });
    const m = method({ smarthost: s.smarthost, auth: { username: 'alice', password: 'not-the-password' } });
    const f = failure(await send(m));
    expect(f.retryable).toBe(true);
    expect(f.error).toMatch(/^auth: .*SMTP error 535/);
    expect(f.error).not.toContain('not-the-password');
    expect(s.messages).toHaveLength(0);
  });

  test('PLAIN without a password', async () => {
    const s = await sink({ authMethods: ['PLAIN'], users: { alice: PASSWORD } });
    const f = failure(await send(method({ smarthost: s.smarthost, auth: { username: 'alice' } })));
    expect(f).toEqual({
      ok: false,
      retryable: true,
      error: 'auth: cannot use PLAIN auth, password not defined (see HERALD_EMAIL_AUTH_PASSWORD)',
    });
  });

  test('server without AUTH while auth is configured is not retryable', async () => {
    const s = await sink();
    const f = failure(await send(method({ smarthost: s.smarthost, auth: { username: 'alice', password: PASSWORD } })));
    expect(f.retryable).toBe(false);
    expect(f.error).toContain('no authentication mechanisms supported by server');
  });

  test('server offers AUTH but no username is configured: sends without auth, warns once', async () => {
    const s = await sink({ authMethods: ['PLAIN'], users: { alice: PASSWORD } });
    const log = { warn: vi.fn() };
    const m = method({ smarthost: s.smarthost, pool: false }, log);
    expect(await send(m)).toEqual({ ok: true });
    expect(await send(m)).toEqual({ ok: true });
    expect(s.auths).toHaveLength(0);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  test('STARTTLS with the test CA (and auth over TLS)', async () => {
    const s = await sink({ startTls: true, authMethods: ['PLAIN'], users: { alice: PASSWORD } });
    const m = method({
      smarthost: s.smarthost,
      auth: { username: 'alice', password: PASSWORD },
      tls: { startTls: true, caFile: tlsFixture('ca.crt') },
    });
    expect(await send(m)).toEqual({ ok: true });
    expect((await s.waitFor(1))[0].secure).toBe(true);
  });

  test('STARTTLS is required when configured', async () => {
    const s = await sink();
    const f = failure(await send(method({ smarthost: s.smarthost, tls: { startTls: true, caFile: tlsFixture('ca.crt') } })));
    expect(f.retryable).toBe(true);
    expect(f.error).toMatch(/STARTTLS/i);
    expect(s.messages).toHaveLength(0);
  });

  test('without start_tls the session stays in plain text even if STARTTLS is offered', async () => {
    const s = await sink({ startTls: true });
    expect(await send(method({ smarthost: s.smarthost }))).toEqual({ ok: true });
    expect((await s.waitFor(1))[0].secure).toBe(false);
  });

  test('untrusted certificate is retryable', async () => {
    const s = await sink({ startTls: true });
    const f = failure(await send(method({ smarthost: s.smarthost, tls: { startTls: true, caFile: tlsFixture('other-ca.crt') } })));
    expect(f.retryable).toBe(true);
    expect(f.error).toMatch(/certificate/i);
    const g = failure(await send(method({ smarthost: s.smarthost, tls: { startTls: true } })));
    expect(g.retryable).toBe(true);
    expect(s.messages).toHaveLength(0);
  });

  test('insecure skip verify accepts an untrusted certificate', async () => {
    const s = await sink({ startTls: true });
    expect(await send(method({ smarthost: s.smarthost, tls: { startTls: true, insecureSkipVerify: true } }))).toEqual({ ok: true });
  });

  test('server name: verified against server_name (SNI), default the smarthost host', async () => {
    const s = await sink({ startTls: true });
    const good = method({ smarthost: s.smarthost, tls: { startTls: true, serverName: 'localhost', caFile: tlsFixture('ca.crt') } });
    expect(await send(good)).toEqual({ ok: true });
    const bad = method({ smarthost: s.smarthost, tls: { startTls: true, serverName: 'mail.example.org', caFile: tlsFixture('ca.crt') } });
    const f = failure(await send(bad));
    expect(f.retryable).toBe(true);
    expect(f.error).toMatch(/mail\.example\.org/);
    const byName = method({ smarthost: `localhost:${s.port}`, tls: { startTls: true, caFile: tlsFixture('ca.crt') } });
    expect(await send(byName)).toEqual({ ok: true });
  });

  test('implicit TLS with force_tls (STARTTLS setting ignored with a warning)', async () => {
    const s = await sink({ secure: true, authMethods: ['PLAIN'], users: { alice: PASSWORD } });
    const log = { warn: vi.fn() };
    const m = method(
      {
        smarthost: s.smarthost,
        forceTls: true,
        auth: { username: 'alice', password: PASSWORD },
        tls: { startTls: true, caFile: tlsFixture('ca.crt') },
      },
      log,
    );
    expect(await send(m)).toEqual({ ok: true });
    expect((await s.waitFor(1))[0].secure).toBe(true);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  test('client certificate', async () => {
    const s = await sink({ secure: true, requestClientCert: { ca: await import('node:fs').then((fs) => fs.readFileSync(tlsFixture('ca.crt'))) } });
    const withCert = method({
      smarthost: s.smarthost,
      forceTls: true,
      tls: { caFile: tlsFixture('ca.crt'), certFile: tlsFixture('client.crt'), keyFile: tlsFixture('client.key') },
    });
    expect(await send(withCert)).toEqual({ ok: true });
    const without = method({ smarthost: s.smarthost, forceTls: true, tls: { caFile: tlsFixture('ca.crt') } });
    expect(failure(await send(without)).retryable).toBe(true);
  });

  test('missing CA, certificate or key files are retryable and named', async () => {
    const s = await sink({ startTls: true });
    for (const tls of [
      { caFile: '/nonexistent/ca.pem' },
      { certFile: '/nonexistent/cert.pem', keyFile: tlsFixture('client.key') },
      { certFile: tlsFixture('client.crt'), keyFile: '/nonexistent/key.pem' },
    ]) {
      const f = failure(await send(method({ smarthost: s.smarthost, tls: { startTls: true, ...tls } })));
      expect(f.retryable).toBe(true);
      expect(f.error).toMatch(/\/nonexistent\/(ca|cert|key)\.pem/);
    }
    expect(s.connections()).toBe(0);
  });

  test('550 at RCPT is retryable with the reply in the reason', async () => {
    const s = await sink({ reject: { RCPT: { code: 550, message: 'No such user here' } } });
    const f = failure(await send(method({ smarthost: s.smarthost })));
    expect(f).toEqual({ ok: false, retryable: true, error: 'recipient address: SMTP error 550: No such user here' });
  });

  test('501 at DATA is retryable: "SMTP error 501: Rejected!"', async () => {
    const s = await sink({ reject: { DATA: { code: 501, message: 'Rejected!' } } });
    const m = method({ smarthost: s.smarthost });
    const f = failure(await send(m));
    expect(f.retryable).toBe(true);
    expect(f.error).toContain('SMTP error 501: Rejected!');
  });

  test('MAIL FROM rejection', async () => {
    const s = await sink({ reject: { MAIL: { code: 451, message: 'Try later' } } });
    expect(failure(await send(method({ smarthost: s.smarthost })))).toEqual({
      ok: false,
      retryable: true,
      error: 'sender from address: SMTP error 451: Try later',
    });
  });

  test('connection refused is retryable', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const f = failure(await send(method({ smarthost: `127.0.0.1:${port}` })));
    expect(f.retryable).toBe(true);
    expect(f.error).toMatch(/ECONNREFUSED/);
  });

  test('abort (dispatch timeout) resolves promptly as retryable', async () => {
    const s = await sink({ delayMs: 20_000 });
    const m = method({ smarthost: s.smarthost });
    const started = Date.now();
    const f = failure(await m.deliver(message(), AbortSignal.timeout(200)));
    // Well before the server would have answered: the abort, not the server, ended it.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(f.retryable).toBe(true);
    expect(f.error).toMatch(/^request timeout/);

    const controller = new AbortController();
    controller.abort();
    expect(failure(await m.deliver(message(), controller.signal)).error).toMatch(/^request timeout/);
  });

  test('a server that never answers times out via the signal', async () => {
    const server = net.createServer(() => undefined); // accepts, never greets
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => { server.close(() => r()); for (const c of conns) c.destroy(); }));
    const conns: net.Socket[] = [];
    server.on('connection', (c) => conns.push(c));
    const f = failure(await send(method({ smarthost: `127.0.0.1:${(server.address() as net.AddressInfo).port}` }), 300));
    expect(f).toMatchObject({ retryable: true });
    expect(f.error).toMatch(/^request timeout/);
  });

  test('invalid from is not retryable', async () => {
    const s = await sink();
    for (const from of ['', 'not an address', 'a@x.test, b@x.test', 'group: a@x.test;']) {
      const f = failure(await send(method({ smarthost: s.smarthost, from })));
      expect(f.retryable, from).toBe(false);
      expect(f.error).toMatch(/^parse 'from' address/);
    }
    expect(s.connections()).toBe(0);
  });

  test('empty smarthost is not retryable; malformed smarthost is reported', async () => {
    expect(failure(await send(method({ smarthost: '' })))).toEqual({
      ok: false,
      retryable: false,
      error: "'smarthost' address not defined",
    });
    expect(failure(await send(method({ smarthost: 'localhost' }))).error).toMatch(/^split host port/);
  });

  test('empty hello', async () => {
    const s = await sink();
    expect(failure(await send(method({ smarthost: s.smarthost, hello: '' }))).error).toBe("'hello' not defined");
  });

  test('sessions are reused; a session the server dropped is replaced', async () => {
    const s = await sink({ authMethods: ['PLAIN'], users: { alice: PASSWORD }, serverOptions: { socketTimeout: 300 } });
    const m = method({ smarthost: s.smarthost, auth: { username: 'alice', password: PASSWORD } });
    for (let i = 0; i < 3; i++) expect(await send(m)).toEqual({ ok: true });
    expect(s.connections()).toBe(1);
    expect(s.auths).toHaveLength(1);
    await waitFor(() => s.closedConnections() === 1); // the server closes the idle session
    expect(await send(m)).toEqual({ ok: true });
    expect(s.connections()).toBe(2);
    // parallel deliveries use parallel sessions
    const results = await Promise.all(Array.from({ length: 6 }, () => send(m)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.messages).toHaveLength(10);
  });

  test('pool: false opens one connection per message', async () => {
    const s = await sink();
    const m = method({ smarthost: s.smarthost, pool: false });
    for (let i = 0; i < 3; i++) expect(await send(m)).toEqual({ ok: true });
    expect(s.connections()).toBe(3);
  });

  test('a failed transaction does not poison the next one', async () => {
    let reject = true;
    const s = await sink({ reject: (stage) => (stage === 'RCPT' && reject ? { code: 452, message: 'Mailbox full' } : undefined) });
    const m = method({ smarthost: s.smarthost });
    expect(failure(await send(m)).error).toBe('recipient address: SMTP error 452: Mailbox full');
    reject = false;
    expect(await send(m)).toEqual({ ok: true });
  });
});

describe('formatSmtpReply', () => {
  test('formats replies go-smtp style', () => {
    expect(formatSmtpReply('501 Rejected!')).toBe('SMTP error 501: Rejected!');
    expect(formatSmtpReply('550 5.1.1 No such user')).toBe('SMTP error 550: No such user');
    expect(formatSmtpReply('421-4.7.0 Try\r\n421 4.7.0 again later')).toBe('SMTP error 421: Try again later');
  });
});
