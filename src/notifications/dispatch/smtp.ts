// SMTP delivery method (reference §3.2 "Delivery").
//
// Uses nodemailer's SMTPConnection directly rather than a transport so every step of the session
// (dial, STARTTLS, EHLO, AUTH, MAIL/RCPT/DATA) can be classified the way the reference does:
// errors are retryable unless stated otherwise. AUTH runs through a custom SASL handler, which
// sees the mechanisms the server advertised (PLAIN preferred, LOGIN only when PLAIN is absent) and
// sends the configured identity with PLAIN.
//
// Connections are reused: after a successful message the session is parked (a few at most, for a
// short while) and the next delivery checks it with RSET before using it; a parked session that the
// server dropped is discarded, never retried mid-transaction.

import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import net from 'node:net';
import tls from 'node:tls';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type MailComposer from 'nodemailer/lib/mail-composer';
import type addressparser from 'nodemailer/lib/addressparser';
import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../types.js';
import { renderEmail } from '../render/email.js'; // the smtp case of prepare.renderFor
import { lazyModule } from '../../lib/lazy-module.js';

const nodemailer = {
  SMTPConnection: lazyModule<typeof SMTPConnection>('nodemailer/lib/smtp-connection'),
  MailComposer: lazyModule<typeof MailComposer>('nodemailer/lib/mail-composer'),
  addressparser: lazyModule<typeof addressparser>('nodemailer/lib/addressparser'),
};

export interface SmtpAuthConfig {
  /** PLAIN authorization identity (usually empty). */
  identity?: string;
  username?: string;
  password?: string;
  /** Read at every authentication; takes precedence over `password`. */
  passwordFile?: string;
}

export interface SmtpTlsConfig {
  /** Upgrade with STARTTLS (required: fails when the server does not offer it). */
  startTls?: boolean;
  /** Name to verify the server certificate against (and SNI); default: the smarthost host. */
  serverName?: string;
  insecureSkipVerify?: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface SmtpPoolConfig {
  /** Idle sessions kept for reuse (0 disables reuse). Default 4. */
  maxIdle?: number;
  /** An idle session is closed after this long. Default 10 s. */
  idleTimeoutMs?: number;
  /** A session is closed after this many messages. Default 100. */
  maxMessagesPerConnection?: number;
}

export interface SmtpConfig {
  /** Sender, exactly one address, e.g. `Herald <noreply@example.com>`. */
  from: string;
  /** `host:port`. */
  smarthost: string;
  /** EHLO name, default 'localhost'. */
  hello?: string;
  /** Implicit TLS (also implied by port 465). */
  forceTls?: boolean;
  auth?: SmtpAuthConfig;
  tls?: SmtpTlsConfig;
  /** Session reuse; `false` opens one connection per message like the reference. */
  pool?: SmtpPoolConfig | false;
  /** Socket-level timeouts (the AbortSignal is the delivery deadline). Default 30 s. */
  connectionTimeoutMs?: number;
}

/** The subset of a pino logger this module uses. */
export interface SmtpLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface SmtpDeliveryMethod extends DeliveryMethod {
  readonly name: 'smtp';
  /** Number of parked (idle) sessions, for tests and metrics. */
  idleSessions(): number;
}

const PASSWORD_ENV = 'HERALD_EMAIL_AUTH_PASSWORD';
const AUTH_HANDLER = 'HERALD-SASL';

/** A failure with its classification; `message` is what ends up in status_reason. */
class SmtpFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean = true,
  ) {
    super(message);
  }
}

class Aborted extends Error {}

interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  /** Set by our SASL handler so the classification survives nodemailer's wrapping. */
  heraldFailure?: SmtpFailure;
}

/** "550 5.1.1 No such user" → "SMTP error 550: No such user" (go-smtp style, enhanced code dropped). */
export function formatSmtpReply(response: string): string {
  const lines = response.split(/\r?\n/).filter((l) => l.trim() !== '');
  let code = '';
  const texts: string[] = [];
  for (const line of lines) {
    const m = /^(\d{3})(?:[ -](?:\d\.\d{1,3}\.\d{1,3}(?: |$))?)?(.*)$/.exec(line);
    if (m) {
      code = code || m[1];
      texts.push(m[2].trim());
    } else {
      texts.push(line.trim());
    }
  }
  const text = texts.filter(Boolean).join(' ');
  return code ? `SMTP error ${code}: ${text}` : text;
}

function parseSmarthost(smarthost: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(smarthost) ?? /^([^:]*):(\d+)$/.exec(smarthost);
  if (!m) {
    throw new SmtpFailure(`split host port: address ${JSON.stringify(smarthost)}: missing or invalid port`);
  }
  const port = Number(m[2]);
  if (!m[1] || port <= 0 || port > 65535) {
    throw new SmtpFailure(`split host port: invalid address ${JSON.stringify(smarthost)}`);
  }
  return { host: m[1], port };
}

const ADDR_SPEC = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+$/;

/** Parses an address list that must hold exactly one mailbox; returns the bare address. */
function parseSingleAddress(value: string, what: string): string {
  const parsed = value ? nodemailer.addressparser()(value) : [];
  if (parsed.length !== 1) {
    throw new SmtpFailure(`${what}: expected exactly one address, got ${parsed.length}`, false);
  }
  const entry = parsed[0];
  if (entry.group !== undefined || !entry.address || !ADDR_SPEC.test(entry.address)) {
    throw new SmtpFailure(`${what}: invalid address ${JSON.stringify(value)}`, false);
  }
  return entry.address;
}

async function readConfigFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new SmtpFailure(`read ${what} ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

function errorReason(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Maps an error from nodemailer (or ours) to a classified failure. */
function toFailure(err: unknown, stage: string): SmtpFailure {
  if (err instanceof SmtpFailure) return err;
  const e = err as NodemailerError;
  if (e && e.heraldFailure) return e.heraldFailure;
  const reply = e?.response ? formatSmtpReply(e.response) : '';
  switch (e?.command) {
    case 'MAIL FROM':
      return new SmtpFailure(`sender from address: ${reply || errorReason(e)}`);
    case 'RCPT TO':
      return new SmtpFailure(`recipient address: ${reply || errorReason(e)}`);
    case 'DATA':
      return new SmtpFailure(
        e.code === 'EMESSAGE' ? `delivery failure: ${reply || errorReason(e)}` : `message transmission: ${reply || errorReason(e)}`,
      );
    default:
      break;
  }
  let detail = errorReason(e);
  const tlsProblem =
    e?.code === 'ETLS' || /CERT|TLS|SSL|UNABLE_TO_|SELF_SIGNED|HOSTNAME/.test(`${e?.originalCode ?? ''} ${(e as NodeJS.ErrnoException)?.code ?? ''}`);
  if (tlsProblem && !/\btls\b/i.test(detail)) detail = `TLS: ${detail}`;
  return new SmtpFailure(`${stage}: ${detail}`);
}

// ---------------------------------------------------------------------------------------------

/** One SMTP session; `failure` rejects as soon as the connection errors or closes. */
class Session {
  readonly failure: Promise<never>;
  dead = false;
  messages = 0;
  idleTimer: NodeJS.Timeout | undefined;

  constructor(readonly conn: SMTPConnection) {
    this.failure = new Promise<never>((_, reject) => {
      conn.on('error', (err: Error) => {
        this.dead = true;
        reject(err);
      });
      conn.once('end', () => {
        this.dead = true;
        const e: NodemailerError = new Error('connection closed by server');
        e.code = 'ECONNECTION';
        reject(e);
      });
    });
    this.failure.catch(() => undefined);
  }

  /** Runs a callback-style operation, failing early if the connection dies meanwhile. */
  run<T>(op: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    const p = new Promise<T>((resolve, reject) => {
      op((err, value) => (err ? reject(err) : resolve(value as T)));
    });
    return Promise.race([p, this.failure]);
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.dead) return;
    this.dead = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  quit(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.dead) return;
    this.dead = true;
    try {
      this.conn.quit();
      // do not wait for the reply for long
      setTimeout(() => this.conn.close(), 1000).unref();
    } catch {
      this.conn.close();
    }
  }
}

export function createSmtpMethod(config: SmtpConfig, log?: SmtpLogger): SmtpDeliveryMethod {
  const hostName = osHostname() || 'localhost';
  const pool = config.pool === false ? { maxIdle: 0 } : (config.pool ?? {});
  const maxIdle = pool.maxIdle ?? 4;
  const idleTimeoutMs = pool.idleTimeoutMs ?? 10_000;
  const maxMessages = (config.pool !== false && config.pool?.maxMessagesPerConnection) || 100;
  const timeoutMs = config.connectionTimeoutMs ?? 30_000;
  const idle: Session[] = [];
  let closed = false;
  const warned = new Set<string>();

  const warnOnce = (key: string, msg: string, obj: object = {}): void => {
    if (warned.has(key)) return;
    warned.add(key);
    log?.warn({ method: 'smtp', ...obj }, msg);
  };

  const password = async (): Promise<string> => {
    const auth = config.auth ?? {};
    if (auth.passwordFile) {
      const content = (await readConfigFile(auth.passwordFile, 'password file')).toString('utf8');
      // a trailing newline (echo secret > file) is not part of the password
      return content.replace(/\r?\n$/, '');
    }
    return auth.password ?? '';
  };

  /** SASL: sees the advertised mechanisms, prefers PLAIN, falls back to LOGIN. */
  const authHandler = async (ctx: SMTPConnection.CustomAuthenticationContext): Promise<void> => {
    const auth = config.auth ?? {};
    const username = auth.username ?? '';
    const fail = (f: SmtpFailure): never => {
      const e: NodemailerError = new Error(f.message);
      e.heraldFailure = f;
      throw e;
    };
    const expect = (res: SMTPConnection.CustomAuthenticationResponse, status: number, mech: string): void => {
      if (res.status !== status) fail(new SmtpFailure(`auth: ${mech}: ${formatSmtpReply(res.response)}`));
    };
    const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
    const offered = ctx.authMethods.map((m) => m.toUpperCase());
    if (offered.includes('PLAIN')) {
      let pass: string;
      try {
        pass = await password();
      } catch (err) {
        return fail(err instanceof SmtpFailure ? new SmtpFailure(`auth: ${err.message}`) : new SmtpFailure('auth: read password'));
      }
      if (!pass) fail(new SmtpFailure(`auth: cannot use PLAIN auth, password not defined (see ${PASSWORD_ENV})`));
      const res = await ctx.sendCommand(`AUTH PLAIN ${b64(`${auth.identity ?? ''}\0${username}\0${pass}`)}`);
      expect(res, 235, 'PLAIN');
      return;
    }
    if (offered.includes('LOGIN')) {
      warnOnce('login', 'LOGIN auth is obsolete and should be avoided (use PLAIN)');
      let pass: string;
      try {
        pass = await password();
      } catch (err) {
        return fail(err instanceof SmtpFailure ? new SmtpFailure(`auth: ${err.message}`) : new SmtpFailure('auth: read password'));
      }
      if (!pass) fail(new SmtpFailure(`auth: cannot use LOGIN auth, password not defined (see ${PASSWORD_ENV})`));
      expect(await ctx.sendCommand('AUTH LOGIN'), 334, 'LOGIN');
      expect(await ctx.sendCommand(b64(username)), 334, 'LOGIN');
      expect(await ctx.sendCommand(b64(pass)), 235, 'LOGIN');
      return;
    }
    fail(new SmtpFailure(`auth: unsupported auth mechanism (server offers: ${offered.join(' ') || 'none usable'})`));
  };

  async function openSession(host: string, port: number, hello: string, race: <T>(p: Promise<T>) => Promise<T>): Promise<Session> {
    const tlsCfg = config.tls ?? {};
    const implicitTls = port === 465 || !!config.forceTls;
    if (implicitTls && tlsCfg.startTls) {
      warnOnce('starttls', 'STARTTLS is ignored with implicit TLS (port 465 or force TLS)');
    }
    const verifyName = tlsCfg.serverName || host;
    const tlsOptions: tls.ConnectionOptions = {
      rejectUnauthorized: !tlsCfg.insecureSkipVerify,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(verifyName, cert),
    };
    if (!net.isIP(verifyName)) tlsOptions.servername = verifyName;
    if (tlsCfg.caFile) tlsOptions.ca = await race(readConfigFile(tlsCfg.caFile, 'CA file'));
    if (tlsCfg.certFile || tlsCfg.keyFile) {
      if (!tlsCfg.certFile || !tlsCfg.keyFile) {
        throw new SmtpFailure('TLS: both a certificate file and a key file are needed for a client certificate');
      }
      tlsOptions.cert = await race(readConfigFile(tlsCfg.certFile, 'certificate file'));
      tlsOptions.key = await race(readConfigFile(tlsCfg.keyFile, 'certificate key file'));
    }

    const conn = new (nodemailer.SMTPConnection())({
      host,
      port,
      secure: implicitTls,
      requireTLS: !implicitTls && !!tlsCfg.startTls,
      ignoreTLS: implicitTls || !tlsCfg.startTls,
      name: hello,
      servername: tlsOptions.servername,
      tls: tlsOptions,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: Math.max(timeoutMs, idleTimeoutMs + 5_000),
      logger: false,
      customAuth: { [AUTH_HANDLER]: authHandler },
    });
    const session = new Session(conn);
    try {
      try {
        await race(session.run<void>((cb) => conn.connect((err) => cb(err))));
      } catch (err) {
        throw err instanceof Aborted ? err : toFailure(err, 'establish connection to server');
      }

      const auth = config.auth ?? {};
      if (conn.allowsAuth) {
        if (!auth.username) {
          warnOnce('noauth', 'the SMTP server supports AUTH but no username is configured; skipping authentication');
        } else {
          try {
            await race(session.run<boolean | undefined>((cb) => conn.login({ method: AUTH_HANDLER, user: auth.username }, (err, ok) => cb(err, ok))));
          } catch (err) {
            throw err instanceof Aborted ? err : toFailure(err, 'auth');
          }
        }
      } else if (auth.username) {
        throw new SmtpFailure('auth: no authentication mechanisms supported by server', false);
      }
      return session;
    } catch (err) {
      session.close();
      throw err;
    }
  }

  /** A parked session, checked with RSET; undefined when none is usable. */
  async function takeIdle(race: <T>(p: Promise<T>) => Promise<T>): Promise<Session | undefined> {
    while (idle.length) {
      const s = idle.pop()!;
      if (s.idleTimer) clearTimeout(s.idleTimer);
      s.idleTimer = undefined;
      if (s.dead) continue;
      try {
        await race(s.run<boolean | undefined>((cb) => s.conn.reset((err, ok) => cb(err, ok))));
        return s;
      } catch (err) {
        s.close();
        if (err instanceof Aborted) throw err;
      }
    }
    return undefined;
  }

  function release(s: Session): void {
    if (closed || s.dead || idle.length >= maxIdle || s.messages >= maxMessages) {
      s.quit();
      return;
    }
    s.idleTimer = setTimeout(() => {
      const i = idle.indexOf(s);
      if (i >= 0) idle.splice(i, 1);
      s.quit();
    }, idleTimeoutMs);
    s.idleTimer.unref();
    idle.push(s);
  }

  async function deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
    let session: Session | undefined;
    let stage = 'prepare';
    const timeoutResult = (): DeliveryResult => ({
      ok: false,
      retryable: true,
      error: `request timeout: delivery aborted during ${stage}`,
    });
    if (signal.aborted) return timeoutResult();

    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Aborted());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);

    try {
      if (closed) throw new SmtpFailure('smtp method is closed');
      if (!config.smarthost) throw new SmtpFailure("'smarthost' address not defined", false);
      const { host, port } = parseSmarthost(config.smarthost);
      const hello = config.hello ?? 'localhost';
      if (!hello) throw new SmtpFailure("'hello' not defined");
      const fromAddr = parseSingleAddress(config.from, "parse 'from' address");
      const toAddr = parseSingleAddress(msg.payload.user_email, "parse 'to' address");

      let raw: Buffer;
      try {
        const email = renderEmail(msg);
        raw = await new (nodemailer.MailComposer())({
          from: config.from,
          to: msg.payload.user_email,
          subject: email.subject,
          messageId: `<${msg.id}@${hostName}>`,
          date: new Date(),
          text: email.text,
          html: email.html,
          encoding: 'quoted-printable',
          newline: 'win',
          disableFileAccess: true,
          disableUrlAccess: true,
        })
          .compile()
          .build();
      } catch (err) {
        throw new SmtpFailure(`render e-mail: ${errorReason(err)}`, false);
      }

      stage = 'connect';
      session = await takeIdle(race);
      if (!session) session = await openSession(host, port, hello, race);

      stage = 'send';
      const s = session;
      await race(s.run((cb) => s.conn.send({ from: fromAddr, to: [toAddr] }, raw, (err, info) => cb(err, info))));
      s.messages++;
      session = undefined;
      release(s);
      return { ok: true };
    } catch (err) {
      if (err instanceof Aborted || signal.aborted) {
        session?.close();
        return timeoutResult();
      }
      // a session that failed mid-transaction is not reused
      session?.close();
      const f = toFailure(err, stage === 'send' ? 'send' : 'establish connection to server');
      return { ok: false, retryable: f.retryable, error: f.message };
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    name: 'smtp',
    deliver,
    idleSessions: () => idle.filter((s) => !s.dead).length,
    async close(): Promise<void> {
      closed = true;
      for (const s of idle.splice(0)) s.quit();
    },
  };
}
