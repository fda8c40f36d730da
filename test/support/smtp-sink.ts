// A real SMTP server for tests (smtp-server + mailparser) that collects what it receives.
//
//   const sink = await startSmtpSink({ authMethods: ['PLAIN'], users: { alice: 'secret' } });
//   // smarthost: sink.smarthost ('127.0.0.1:<port>')
//   await sink.waitFor(1, 2000);
//   sink.messages[0].subject; sink.auths[0].method;
//   await sink.close();
//
// TLS material defaults to test/fixtures/tls (server cert for localhost/127.0.0.1 signed by ca.crt).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions, SMTPServerSession, SMTPServerAuthentication } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { AddressObject } from 'mailparser';

export const TLS_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');
export const tlsFixture = (name: string): string => join(TLS_FIXTURES, name);

export type SinkStage = 'CONNECT' | 'MAIL' | 'RCPT' | 'DATA';

export interface SinkRejection {
  code: number;
  message: string;
}

export interface SinkOptions {
  /** Implicit TLS (like port 465). */
  secure?: boolean;
  /** Offer STARTTLS on a plain connection (default false). */
  startTls?: boolean;
  /** Advertised AUTH mechanisms, e.g. ['PLAIN', 'LOGIN']; [] or undefined: no AUTH at all. */
  authMethods?: Array<'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2'>;
  /** username → password accepted by AUTH. */
  users?: Record<string, string>;
  /** Reject a stage: a fixed rejection, or a function deciding per call (undefined = accept). */
  reject?:
    | Partial<Record<SinkStage, SinkRejection>>
    | ((stage: SinkStage, info: { session: SMTPServerSession; address?: string }) => SinkRejection | undefined);
  /** Delay in ms before answering MAIL/RCPT/end of DATA (simulates a slow server). */
  delayMs?: number;
  /** PEM key/cert; default the fixtures' server.key / server.crt. */
  key?: string | Buffer;
  cert?: string | Buffer;
  /** Ask for / verify client certificates against this CA (PEM). */
  requestClientCert?: { ca: string | Buffer };
  /** Extra smtp-server options (override ours). */
  serverOptions?: Partial<SMTPServerOptions>;
}

export interface SinkMessage {
  /** Envelope MAIL FROM. */
  envelopeFrom: string;
  /** Envelope RCPT TO addresses. */
  envelopeTo: string[];
  /** Parsed From / To header addresses. */
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  date: Date | undefined;
  /** Lower-case header name → raw header value (unfolded). */
  headers: Record<string, string>;
  raw: string;
  /** The authenticated user of the session, if any. */
  user: string | undefined;
  secure: boolean;
  helo: string;
}

export interface SinkAuth {
  method: string;
  username: string | undefined;
  /** PLAIN authorization identity. */
  authzid: string | undefined;
  ok: boolean;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:<port>` */
  readonly smarthost: string;
  readonly messages: SinkMessage[];
  readonly auths: SinkAuth[];
  /** Number of TCP connections accepted so far. */
  connections(): number;
  /** Number of those that have ended (either side closed). */
  closedConnections(): number;
  /** Resolves with the messages once at least `n` arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<SinkMessage[]>;
  close(): Promise<void>;
}

function addresses(obj: AddressObject | AddressObject[] | undefined): string[] {
  if (!obj) return [];
  const list = Array.isArray(obj) ? obj : [obj];
  return list.flatMap((o) => o.value.map((v) => v.address ?? '')).filter(Boolean);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function smtpError(r: SinkRejection): Error {
  const err = new Error(r.message) as Error & { responseCode: number };
  err.responseCode = r.code;
  return err;
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const auths: SinkAuth[] = [];
  const waiters: Array<{ n: number; resolve: (m: SinkMessage[]) => void; reject: (e: Error) => void }> = [];
  let connectionCount = 0;
  let closedCount = 0;
  const authMethods = options.authMethods ?? [];
  const users = options.users ?? {};

  const rejection = (stage: SinkStage, session: SMTPServerSession, address?: string): SinkRejection | undefined => {
    const r = options.reject;
    if (!r) return undefined;
    return typeof r === 'function' ? r(stage, { session, address }) : r[stage];
  };

  const disabled: string[] = [];
  if (!authMethods.length) disabled.push('AUTH');
  if (!options.startTls && !options.secure) disabled.push('STARTTLS');

  const server = new SMTPServer({
    secure: !!options.secure,
    key: options.key ?? readFileSync(tlsFixture('server.key')),
    cert: options.cert ?? readFileSync(tlsFixture('server.crt')),
    ...(options.requestClientCert
      ? { requestCert: true, rejectUnauthorized: true, ca: options.requestClientCert.ca }
      : {}),
    authMethods: authMethods.length ? authMethods : ['PLAIN'],
    disabledCommands: disabled,
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    banner: 'herald test sink',
    closeTimeout: 500,
    disableReverseLookup: true,
    onClose() {
      closedCount++;
    },
    onConnect(session, callback) {
      connectionCount++;
      const r = rejection('CONNECT', session);
      callback(r ? smtpError(r) : undefined);
    },
    onAuth(auth: SMTPServerAuthentication, _session, callback) {
      const ok = auth.username !== undefined && users[auth.username] !== undefined && users[auth.username] === auth.password;
      auths.push({ method: auth.method, username: auth.username, authzid: auth.authzid, ok });
      if (!ok) {
        const err = new Error('Authentication credentials invalid') as Error & { responseCode: number };
        err.responseCode = 535;
        callback(err);
        return;
      }
      callback(null, { user: auth.username });
    },
    onMailFrom(address, session, callback) {
      void (async () => {
        if (options.delayMs) await sleep(options.delayMs);
        const r = rejection('MAIL', session, address.address);
        callback(r ? smtpError(r) : undefined);
      })();
    },
    onRcptTo(address, session, callback) {
      void (async () => {
        if (options.delayMs) await sleep(options.delayMs);
        const r = rejection('RCPT', session, address.address);
        callback(r ? smtpError(r) : undefined);
      })();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void (async () => {
          try {
            if (options.delayMs) await sleep(options.delayMs);
            const r = rejection('DATA', session);
            if (r) return callback(smtpError(r));
            const raw = Buffer.concat(chunks);
            const parsed = await simpleParser(raw);
            const headers: Record<string, string> = {};
            for (const line of parsed.headerLines) {
              headers[line.key.toLowerCase()] = line.line.slice(line.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
            }
            const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            messages.push({
              envelopeFrom,
              envelopeTo: session.envelope.rcptTo.map((a) => a.address),
              from: addresses(parsed.from)[0] ?? '',
              to: addresses(parsed.to),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              date: parsed.date,
              headers,
              raw: raw.toString('utf8'),
              user: typeof session.user === 'string' ? session.user : undefined,
              secure: !!session.secure,
              helo: session.hostNameAppearsAs,
            });
            for (const w of [...waiters]) {
              if (messages.length >= w.n) {
                waiters.splice(waiters.indexOf(w), 1);
                w.resolve(messages.slice());
              }
            }
            callback();
          } catch (err) {
            callback(err as Error);
          }
        })();
      });
    },
    ...options.serverOptions,
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    smarthost: `127.0.0.1:${port}`,
    messages,
    auths,
    connections: () => connectionCount,
    closedConnections: () => closedCount,
    waitFor(n: number, timeoutMs = 5_000): Promise<SinkMessage[]> {
      if (messages.length >= n) return Promise.resolve(messages.slice());
      return new Promise((resolve, reject) => {
        const waiter = {
          n,
          resolve: (m: SinkMessage[]) => {
            clearTimeout(timer);
            resolve(m);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`smtp sink: expected ${n} message(s) within ${timeoutMs} ms, got ${messages.length}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of waiters.splice(0)) w.reject(new Error(`smtp sink closed with ${messages.length} message(s)`));
        server.close(() => resolve());
      }),
  };
}
