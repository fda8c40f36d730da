// A 421 makes the server hang up at once; when the hang-up wins the race with the reply the
// reason is "connection closed by server" rather than the 421 text (retryable either way).
//
// SMTP faults, end to end through the dispatcher against SMTP servers we control: connection
// refused, 421/451 (transient), 550 at RCPT, a connection dropped in the middle of DATA, a server
// slower than the dispatch timeout and a certificate that does not verify. Each is classified as
// the reference does (every SMTP failure is retryable there), its reason is recorded in
// status_reason, and it is tried exactly the configured number of times — or succeeds on retry.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import type { Config } from '../../src/server/config.js';
import { unusedPort } from '../support/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { createUser, setupOwner, startTestServer, type DeepPartial, type TestServer } from '../support/server.js';
import { figures, primaryEngine, scale, waitUntil } from './helpers.js';

const ATTEMPTS = 3;
const PER_CASE = scale(1, 25);
const engine = primaryEngine();

interface Row {
  id: string;
  status: string;
  status_reason: string | null;
  attempt_count: number;
  user_email: string;
}

/** A minimal SMTP server that accepts everything up to DATA and then hangs up mid-message. */
async function dropMidData(): Promise<{ smarthost: string; dataStarts: () => number; close: () => Promise<void> }> {
  let dataStarts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let inData = false;
    sock.write('220 flaky ESMTP\r\n');
    sock.on('data', (d) => {
      if (inData) {
        sock.destroy(); // some of the message arrived: hang up without a reply
        return;
      }
      for (const line of d.toString('latin1').split('\r\n').filter(Boolean)) {
        if (/^(EHLO|HELO)/i.test(line)) sock.write('250-flaky\r\n250 8BITMIME\r\n');
        else if (/^DATA/i.test(line)) {
          dataStarts++;
          inData = true;
          sock.write('354 go ahead\r\n');
        } else if (/^QUIT/i.test(line)) sock.end('221 bye\r\n');
        else sock.write('250 OK\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    smarthost: `127.0.0.1:${port}`,
    dataStarts: () => dataStarts,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

describe(`SMTP faults [${engine}]`, () => {
  const servers: TestServer[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await Promise.allSettled(closers.map((c) => c()));
  });

  async function serverFor(email: DeepPartial<Config['email']>, dispatchTimeout = 1_500): Promise<{ server: TestServer; ownerId: string; owner: Awaited<ReturnType<typeof setupOwner>>['api'] }> {
    const server = await startTestServer(engine, {
      config: {
        email: { from: 'Herald <noreply@example.com>', hello: 'localhost', ...email },
        notifications: { method: 'smtp', inbox: { enabled: false }, maxSendAttempts: ATTEMPTS, retryInterval: 300, dispatchTimeout, leasePeriod: 5_000, fetchInterval: 200 },
      },
    });
    servers.push(server);
    const { api, userId } = await setupOwner(server.api);
    return { server, ownerId: userId, owner: api };
  }

  async function sendAndSettle(server: TestServer, userIds: string[]): Promise<Row[]> {
    for (const userId of userIds) {
      for (let i = 0; i < PER_CASE; i++) {
        await server.enqueuer.enqueueMany([{ userId, templateId: TEMPLATE_TEST_NOTIFICATION, labels: { n: String(i) }, createdBy: 'faults' }]);
      }
    }
    return waitUntil(
      async () => {
        const r = await server.db.query<Row>(
          `SELECT id, status::text AS status, status_reason, attempt_count, payload->>'user_email' AS user_email
           FROM notification_messages WHERE notification_template_id = $1`,
          [TEMPLATE_TEST_NOTIFICATION],
        );
        return r.rows.length === userIds.length * PER_CASE && r.rows.every((m) => ['sent', 'permanent_failure'].includes(m.status)) && r.rows;
      },
      scale(20_000, 300_000),
      'the SMTP deliveries to finish',
    );
  }

  const tally: Record<string, number> = {};
  const expectFailed = (rows: Row[], reason: RegExp, what: string) => {
    for (const m of rows) {
      expect(m, what).toMatchObject({ status: 'permanent_failure', attempt_count: ATTEMPTS });
      expect(m.status_reason, what).toMatch(reason);
    }
    tally[what] = rows.length;
  };

  it('connection refused: retried, then failed with the dial error recorded', { timeout: scale(30_000, 300_000) }, async () => {
    const { server, ownerId } = await serverFor({ smarthost: `127.0.0.1:${await unusedPort()}` });
    expectFailed(await sendAndSettle(server, [ownerId]), /ECONNREFUSED/, 'refused');
  });

  it('421 and 550 at RCPT fail after every attempt with the reply recorded; a 451 greylisting passes on retry', { timeout: scale(30_000, 300_000) }, async () => {
    // Greylisting as real servers do it: the first time a (sender, recipient) pair is seen starts a
    // window (shorter than the retry interval) during which it is refused with 451; later, accepted.
    const firstSeen = new Map<string, number>();
    const GREY_WINDOW_MS = 150;
    const sink: SmtpSink = await startSmtpSink({
      reject: (stage, { address, session }) => {
        if (stage !== 'RCPT' || !address) return undefined;
        if (address.startsWith('busy')) return { code: 421, message: 'Service not available, try later' };
        if (address.startsWith('nouser')) return { code: 550, message: 'No such user here' };
        if (address.startsWith('grey')) {
          const key = `${address}:${session.envelope.mailFrom && session.envelope.mailFrom.address}`;
          if (!firstSeen.has(key)) firstSeen.set(key, Date.now());
          if (Date.now() - firstSeen.get(key)! < GREY_WINDOW_MS) return { code: 451, message: 'Greylisted, come back later' };
        }
        return undefined;
      },
    });
    closers.push(() => sink.close());
    const { server, owner } = await serverFor({ smarthost: sink.smarthost });
    const busy = await createUser(owner, [], { email: 'busy@example.com' });
    const nouser = await createUser(owner, [], { email: 'nouser@example.com' });
    const grey = await createUser(owner, [], { email: 'grey@example.com' });
    const rows = await sendAndSettle(server, [busy.id, nouser.id, grey.id]);
    expectFailed(rows.filter((r) => r.user_email === 'busy@example.com'), /^recipient address: SMTP error 421: Service not available|connection closed by server/, '421 at RCPT');
    expectFailed(rows.filter((r) => r.user_email === 'nouser@example.com'), /^recipient address: SMTP error 550: No such user here$/, '550 at RCPT');
    const passed = rows.filter((r) => r.user_email === 'grey@example.com');
    // Attempts inside the window are refused and retried after it (the retry interval is longer):
    // each message is sent within two attempts, and the first ones were refused.
    for (const m of passed) {
      expect(m).toMatchObject({ status: 'sent', status_reason: null });
      expect([1, 2]).toContain(m.attempt_count);
    }
    expect(passed.some((m) => m.attempt_count === 2)).toBe(true);
    tally['451 then accepted'] = passed.length;
    expect(sink.messages.filter((m) => m.subject === 'A test notification').map((m) => m.to[0])).toEqual(passed.map(() => 'grey@example.com'));
  });

  it('a connection dropped in the middle of DATA is retried and recorded', { timeout: scale(30_000, 300_000) }, async () => {
    const flaky = await dropMidData();
    closers.push(flaky.close);
    const { server, ownerId } = await serverFor({ smarthost: flaky.smarthost });
    expectFailed(await sendAndSettle(server, [ownerId]), /^message transmission: |connection|closed/i, 'dropped mid-DATA');
    expect(flaky.dataStarts()).toBe(ATTEMPTS * PER_CASE);
  });

  it('a server slower than the dispatch timeout: each attempt is cut off at the timeout and retried', { timeout: scale(30_000, 300_000) }, async () => {
    const sink = await startSmtpSink({ delayMs: 2_500 });
    closers.push(() => sink.close());
    const { server, ownerId } = await serverFor({ smarthost: sink.smarthost }, 700);
    const started = Date.now();
    expectFailed(await sendAndSettle(server, [ownerId]), /timeout|timed out|abort/i, 'slower than the dispatch timeout');
    // Three attempts cut at 0.7 s each, not three waits of 2.5 s.
    expect(Date.now() - started).toBeLessThan(scale(6_000, 120_000));
  });

  it('a certificate that does not verify fails the TLS handshake, is retried and recorded', { timeout: scale(30_000, 300_000) }, async () => {
    const sink = await startSmtpSink({ secure: true });
    closers.push(() => sink.close());
    const { server, ownerId } = await serverFor({ smarthost: sink.smarthost, forceTls: true });
    expectFailed(await sendAndSettle(server, [ownerId]), /TLS|certificate/i, 'bad TLS certificate');
    expect(sink.messages).toEqual([]);
    figures('smtp-faults', { cases: tally, attempts_per_failure: ATTEMPTS, lost: 0 });
  });
});
