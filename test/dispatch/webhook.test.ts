import { waitFor } from '../support/wait.js';
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';

import {
  LOGGED_BODY_LIMIT,
  createWebhookMethod,
  parseRetryAfter,
} from '../../src/notifications/dispatch/webhook.js';
import { markdownToPlaintext } from '../../src/notifications/render/markdown.js';
import type { DeliveryResult, PreparedMessage } from '../../src/notifications/types.js';
import { createLogger } from '../../src/lib/logger.js';
import { startHttpSink, unusedPort, type HttpSink } from '../support/http-sink.js';

// ---------------------------------------------------------------------------
// helpers

const sinks: HttpSink[] = [];
async function sink(...args: Parameters<typeof startHttpSink>): Promise<HttpSink> {
  const s = await startHttpSink(...args);
  sinks.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

function message(overrides: Partial<PreparedMessage> = {}): PreparedMessage {
  const id = randomUUID();
  return {
    id,
    templateId: 'f517da0b-cdc9-410f-ab89-a86107c420ed',
    payload: {
      _version: '1.2',
      notification_name: 'Workspace Deleted',
      notification_template_id: 'f517da0b-cdc9-410f-ab89-a86107c420ed',
      user_id: '2d3b8a36-7b3c-4f5e-9d1a-0b5f1e1c2a3b',
      user_email: 'bobby@coder.com',
      user_name: 'Bobby',
      user_username: 'bobby',
      actions: [{ label: 'View workspaces', url: 'http://test.com/workspaces' }],
      labels: { name: 'bobby-workspace', reason: 'autodeleted due to dormancy', initiator: 'autobuild' },
      data: null,
      targets: null,
    },
    titleMarkdown: 'Workspace "bobby-workspace" deleted',
    bodyMarkdown:
      'Your workspace **bobby-workspace** was deleted.\n\nThe specified reason was "**autodeleted due to dormancy (autobuild)**".',
    helpers: {
      base_url: 'http://test.com',
      current_year: '2025',
      app_name: 'Herald',
      logo_url: 'https://example.com/logo.png',
    },
    ...overrides,
  };
}

function signal(ms = 10_000): AbortSignal {
  return AbortSignal.timeout(ms);
}

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

/**
 * An independent Standard Webhooks verifier: recomputes the HMAC from the raw
 * bytes received, compares in constant time, and enforces a timestamp window.
 */
function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const tolerance = opts.toleranceSeconds ?? 300;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigHeader = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sigHeader !== 'string') return false;
  if (!/^\d+$/.test(ts) || Math.abs(now - Number(ts)) > tolerance) return false;
  if (!secret.startsWith('whsec_')) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), rawBody]))
    .digest();
  for (const part of sigHeader.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const got = Buffer.from(part.slice(comma + 1), 'base64');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
  }
  return false;
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function expectFailure(r: DeliveryResult): Extract<DeliveryResult, { ok: false }> {
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  return r;
}

/** A writer that streams `total` bytes (chunked unless withLength) and records how many it managed to send. */
function bigBody(status: number, total: number, withLength: boolean) {
  const state = { sent: 0, finished: false, closed: false };
  const write = (res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const headers: Record<string, string | number> = { 'content-type': 'text/plain' };
      if (withLength && Number.isFinite(total)) headers['content-length'] = total;
      res.writeHead(status, headers);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      res.on('close', () => {
        state.closed = true;
        resolve();
      });
      const pump = () => {
        while (state.sent < total) {
          if (res.destroyed) return resolve();
          const n = Math.min(chunk.length, total - state.sent);
          state.sent += n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        state.finished = true;
        res.end();
        resolve();
      };
      pump();
    });
  return { state, write };
}

// ---------------------------------------------------------------------------

describe('webhook delivery: request', () => {
  it('POSTs the reference body with the reference headers', async () => {
    const s = await sink();
    const method = createWebhookMethod({ endpoint: `${s.url}/hooks/herald?x=1` });
    expect(method.name).toBe('webhook');
    const msg = message();

    const result = await method.deliver(msg, signal());
    expect(result).toEqual({ ok: true });

    const [req] = await s.waitFor(1);
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/herald?x=1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-message-id']).toBe(msg.id);
    // Unsigned when no secret is configured.
    expect(req.headers['webhook-id']).toBeUndefined();
    expect(req.headers['webhook-signature']).toBeUndefined();
    expect(req.headers['webhook-timestamp']).toBeUndefined();

    // Exactly the reference's keys, in the reference's order.
    const body = req.json as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      '_version',
      'msg_id',
      'payload',
      'title',
      'title_markdown',
      'body',
      'body_markdown',
    ]);
    expect(body._version).toBe('1.1');
    expect(body.msg_id).toBe(msg.id);
    expect(body.payload).toEqual(msg.payload);
    expect((body.payload as { _version: string })._version).toBe('1.2');
    expect(Object.keys(body.payload as object)).toEqual([
      '_version',
      'notification_name',
      'notification_template_id',
      'user_id',
      'user_email',
      'user_name',
      'user_username',
      'actions',
      'labels',
      'data',
      'targets',
    ]);
    expect(body.title_markdown).toBe(msg.titleMarkdown);
    expect(body.body_markdown).toBe(msg.bodyMarkdown);
    expect(body.title).toBe(markdownToPlaintext(msg.titleMarkdown));
    expect(body.body).toBe(markdownToPlaintext(msg.bodyMarkdown));
    expect(body.body).not.toContain('**');
    expect(body.body).toContain('bobby-workspace');
  });

  it('sends URL userinfo as HTTP Basic auth', async () => {
    const s = await sink();
    const method = createWebhookMethod({ endpoint: s.url.replace('http://', 'http://hook%20user:p%40ss@') + '/x' });
    expect(await method.deliver(message(), signal())).toEqual({ ok: true });
    const [req] = await s.waitFor(1);
    expect(req.path).toBe('/x');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('hook user:p@ss').toString('base64')}`);
  });
});

describe('webhook delivery: Standard Webhooks signature', () => {
  it('signs id.timestamp.body so that an independent verifier accepts it', async () => {
    const s = await sink();
    const secret = newSecret();
    const method = createWebhookMethod({ endpoint: s.url, secret });
    const msg = message();
    const before = Math.floor(Date.now() / 1000);
    expect(await method.deliver(msg, signal())).toEqual({ ok: true });
    const after = Math.floor(Date.now() / 1000);

    const [req] = await s.waitFor(1);
    expect(req.headers['webhook-id']).toBe(msg.id);
    const ts = Number(req.headers['webhook-timestamp']);
    expect(Number.isInteger(ts)).toBe(true);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(after);
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // The body is still the reference's.
    expect((req.json as { _version: string })._version).toBe('1.1');

    expect(verifyStandardWebhook(secret, req.headers, req.rawBody)).toBe(true);
  });

  it('fails verification for a tampered body, id or timestamp, or the wrong secret', async () => {
    const s = await sink();
    const secret = newSecret();
    const method = createWebhookMethod({ endpoint: s.url, secret });
    await method.deliver(message(), signal());
    const [req] = await s.waitFor(1);
    expect(verifyStandardWebhook(secret, req.headers, req.rawBody)).toBe(true);

    const tampered = Buffer.from(req.body.replace('bobby-workspace', 'alice-workspace'));
    expect(tampered.equals(req.rawBody)).toBe(false);
    expect(verifyStandardWebhook(secret, req.headers, tampered)).toBe(false);

    const oneByte = Buffer.from(req.rawBody);
    oneByte[oneByte.length - 2] ^= 1;
    expect(verifyStandardWebhook(secret, req.headers, oneByte)).toBe(false);

    expect(verifyStandardWebhook(secret, { ...req.headers, 'webhook-id': randomUUID() }, req.rawBody)).toBe(false);
    const ts = Number(req.headers['webhook-timestamp']);
    expect(verifyStandardWebhook(secret, { ...req.headers, 'webhook-timestamp': String(ts + 1) }, req.rawBody)).toBe(
      false,
    );
    expect(verifyStandardWebhook(newSecret(), req.headers, req.rawBody)).toBe(false);
  });

  it('stamps each attempt with the current time, which the verifier bounds', async () => {
    const s = await sink();
    const secret = newSecret();
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    const method = createWebhookMethod({ endpoint: s.url, secret, now: () => tenMinutesAgo });
    await method.deliver(message(), signal());
    const [req] = await s.waitFor(1);
    expect(req.headers['webhook-timestamp']).toBe(String(Math.floor(tenMinutesAgo.getTime() / 1000)));
    // Correctly signed, but outside the 5 minute tolerance.
    expect(verifyStandardWebhook(secret, req.headers, req.rawBody)).toBe(false);
    expect(
      verifyStandardWebhook(secret, req.headers, req.rawBody, { nowSeconds: Math.floor(tenMinutesAgo.getTime() / 1000) }),
    ).toBe(true);
  });

  it('keeps webhook-id stable across retries of the same message', async () => {
    const s = await sink({ respond: (_r, i) => ({ status: i === 0 ? 500 : 200 }) });
    const method = createWebhookMethod({ endpoint: s.url, secret: newSecret() });
    const msg = message();
    expect((await method.deliver(msg, signal())).ok).toBe(false);
    expect(await method.deliver(msg, signal())).toEqual({ ok: true });
    const reqs = await s.waitFor(2);
    expect(reqs[0].headers['webhook-id']).toBe(msg.id);
    expect(reqs[1].headers['webhook-id']).toBe(msg.id);
  });
});

describe('webhook delivery: outcomes', () => {
  it('2xx is success', async () => {
    for (const status of [200, 201, 202, 204]) {
      const s = await sink({ respond: { status, body: status === 204 ? '' : '{"ok":true}' } });
      expect(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal())).toEqual({ ok: true });
    }
  });

  it('500 is retryable, with the status in the reason and at most 512 bytes of body logged', async () => {
    const longBody = 'E'.repeat(600) + 'TAIL';
    const s = await sink({ respond: { status: 500, body: longBody } });
    const { log, lines } = logCapture();
    const msg = message();
    const r = expectFailure(await createWebhookMethod({ endpoint: s.url, log }).deliver(msg, signal()));
    expect(r).toEqual({ ok: false, retryable: true, error: 'non-2xx response (500)' });

    const warn = lines.find((l) => l.msg_id === msg.id && l.status === 500);
    expect(warn).toBeDefined();
    expect(typeof warn!.body).toBe('string');
    expect(Buffer.byteLength(warn!.body as string)).toBe(LOGGED_BODY_LIMIT);
    expect(warn!.body).not.toContain('TAIL');
  });

  it('other 4xx/5xx are retryable', async () => {
    for (const status of [400, 401, 404, 418, 502, 504]) {
      const s = await sink({ respond: { status } });
      const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal()));
      expect(r).toEqual({ ok: false, retryable: true, error: `non-2xx response (${status})` });
    }
  });

  it('3xx is a retryable failure and the redirect is not followed', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const target = await sink();
      const s = await sink({ respond: { status, headers: { location: `${target.url}/elsewhere` }, body: 'moved' } });
      const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal()));
      expect(r).toEqual({ ok: false, retryable: true, error: `non-2xx response (${status})` });
      expect(s.requests).toHaveLength(1);
      // A followed redirect would have reached the target before deliver() resolved.
      expect(target.requests).toHaveLength(0);
      expect(target.connections).toBe(0);
    }
  });

  it('429 and 503 with Retry-After in seconds set retryAfterMs', async () => {
    for (const status of [429, 503]) {
      const s = await sink({ respond: { status, headers: { 'Retry-After': '7' } } });
      const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal()));
      expect(r).toEqual({ ok: false, retryable: true, error: `non-2xx response (${status})`, retryAfterMs: 7000 });
    }
  });

  it('Retry-After as an HTTP date sets retryAfterMs relative to now', async () => {
    const at = new Date(Date.now() + 120_000);
    const s = await sink({ respond: { status: 429, headers: { 'Retry-After': at.toUTCString() } } });
    const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal()));
    expect(r.retryable).toBe(true);
    expect(r.retryAfterMs).toBeGreaterThan(110_000);
    expect(r.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('429 without (or with an unparseable) Retry-After has no retryAfterMs; 500 ignores Retry-After', async () => {
    const cases: Array<[number, Record<string, string>]> = [
      [429, {}],
      [429, { 'Retry-After': 'soon' }],
      [500, { 'Retry-After': '30' }],
    ];
    for (const [status, headers] of cases) {
      const s = await sink({ respond: { status, headers } });
      const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal()));
      expect(r.retryable).toBe(true);
      expect('retryAfterMs' in r).toBe(false);
    }
  });

  it('410 Gone is not retryable', async () => {
    const s = await sink({ respond: { status: 410, body: 'gone' } });
    const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal()));
    expect(r).toEqual({ ok: false, retryable: false, error: 'non-2xx response (410)' });
  });

  it('a timeout (AbortSignal) is retryable "request timeout" and resolves promptly', async () => {
    const s = await sink({ respond: { delayMs: 25_000, status: 200 } });
    const started = Date.now();
    const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), AbortSignal.timeout(200)));
    expect(r).toEqual({ ok: false, retryable: true, error: 'request timeout' });
    // Well before the receiver would have answered: the abort, not the receiver, ended it.
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(s.requests).toHaveLength(1);
  });

  it('an aborted (not timed out) signal is retryable "request timeout", and so is one aborted before the call', async () => {
    const s = await sink({ respond: { hang: true } });
    const ac = new AbortController();
    const p = createWebhookMethod({ endpoint: s.url }).deliver(message(), ac.signal);
    await s.waitFor(1);
    ac.abort();
    expect(await p).toEqual({ ok: false, retryable: true, error: 'request timeout' });

    const aborted = AbortSignal.abort();
    expect(await createWebhookMethod({ endpoint: s.url }).deliver(message(), aborted)).toEqual({
      ok: false,
      retryable: true,
      error: 'request timeout',
    });
    expect(s.requests).toHaveLength(1);
  });

  it('connection refused is a retryable "request failed"', async () => {
    const port = await unusedPort();
    const r = expectFailure(
      await createWebhookMethod({ endpoint: `http://127.0.0.1:${port}/` }).deliver(message(), signal()),
    );
    expect(r.retryable).toBe(true);
    expect(r.error).toMatch(/^request failed: .*ECONNREFUSED/);
  });

  it('a connection reset is a retryable "request failed"', async () => {
    const s = await sink({ respond: { reset: true } });
    const r = expectFailure(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal()));
    expect(r.retryable).toBe(true);
    expect(r.error).toMatch(/^request failed: ./);
  });

  it('an unresolvable host is a retryable "request failed"', async () => {
    const r = expectFailure(
      await createWebhookMethod({ endpoint: 'http://herald-webhook-test.invalid/' }).deliver(message(), signal(3_000)),
    );
    expect(r.retryable).toBe(true);
    expect(r.error).toMatch(/^request (failed: .+|timeout)$/);
  });
});

describe('webhook delivery: large and slow response bodies', () => {
  const FIFTY_MB = 50 * 1024 * 1024;

  for (const [status, withLength] of [
    [500, true],
    [500, false],
    [200, true],
    [200, false],
  ] as const) {
    it(`a 50 MB ${status} body (${withLength ? 'content-length' : 'chunked'}) is not read, and delivery resolves quickly`, async () => {
      const big = bigBody(status, FIFTY_MB, withLength);
      const s = await sink({ respond: { write: big.write } });
      const heapBefore = process.memoryUsage().heapUsed;
      const started = Date.now();
      const r = await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal());
      const elapsed = Date.now() - started;
      if (status === 200) expect(r).toEqual({ ok: true });
      else expect(r).toEqual({ ok: false, retryable: true, error: 'non-2xx response (500)' });
      expect(elapsed).toBeLessThan(15_000);
      // The client hung up long before the server could push 50 MB.
      await waitFor(() => big.state.closed);
      expect(big.state.finished).toBe(false);
      expect(big.state.sent).toBeLessThan(FIFTY_MB / 2);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);
    });
  }

  it('a never-ending body does not hang delivery', async () => {
    const big = bigBody(200, Number.POSITIVE_INFINITY, false);
    const s = await sink({ respond: { write: big.write } });
    const started = Date.now();
    expect(await createWebhookMethod({ endpoint: s.url }).deliver(message(), signal())).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a body that stalls after the status line does not hold delivery past the drain limit', async () => {
    const s = await sink({
      respond: {
        write: (res) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.write('partial');
          // never ends
        },
      },
    });
    const { log, lines } = logCapture();
    const started = Date.now();
    const msg = message();
    const r = await createWebhookMethod({ endpoint: s.url, log }).deliver(msg, signal());
    expect(r).toEqual({ ok: false, retryable: true, error: 'non-2xx response (502)' });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(lines.find((l) => l.msg_id === msg.id)?.body).toBe('partial');
  });
});

describe('webhook delivery: connection reuse', () => {
  it('reuses one keep-alive connection for sequential deliveries (2xx with a body)', async () => {
    const s = await sink({ respond: { status: 200, body: '{"received":true}' } });
    const method = createWebhookMethod({ endpoint: s.url });
    for (let i = 0; i < 20; i++) expect(await method.deliver(message(), signal())).toEqual({ ok: true });
    expect(s.requests).toHaveLength(20);
    // Node's fetch pool may open a second socket while the first is being
    // released, but sequential deliveries must not open one per request.
    expect(s.connections).toBeLessThanOrEqual(2);
  });

  it('reuses the connection after non-2xx responses with a small body', async () => {
    const s = await sink({ respond: { status: 500, body: 'x'.repeat(2_000) } });
    const method = createWebhookMethod({ endpoint: s.url });
    for (let i = 0; i < 10; i++) expect((await method.deliver(message(), signal())).ok).toBe(false);
    expect(s.connections).toBeLessThanOrEqual(2);
  });

  it('drains a body that arrives in pieces so the connection can be reused', async () => {
    for (const status of [200, 500]) {
      const s = await sink({
        respond: {
          write: (res) => {
            res.writeHead(status, { 'content-length': 20_000 });
            res.write('a'.repeat(10_000));
            setTimeout(() => res.end('b'.repeat(10_000)), 15);
          },
        },
      });
      const method = createWebhookMethod({ endpoint: s.url });
      for (let i = 0; i < 10; i++) expect((await method.deliver(message(), signal())).ok).toBe(status === 200);
      expect(s.requests).toHaveLength(10);
      expect(s.connections, `status ${status}`).toBeLessThanOrEqual(2);
    }
  });

  it('handles concurrent deliveries', async () => {
    const s = await sink({ respond: { status: 202, delayMs: 20 } });
    const method = createWebhookMethod({ endpoint: s.url, secret: newSecret() });
    const results = await Promise.all(Array.from({ length: 50 }, () => method.deliver(message(), signal())));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.requests).toHaveLength(50);
    expect(new Set(s.requests.map((r) => r.headers['x-message-id'])).size).toBe(50);
  });
});

describe('webhook configuration', () => {
  it('an empty endpoint throws "webhook endpoint not defined"', () => {
    expect(() => createWebhookMethod({ endpoint: '' })).toThrow('webhook endpoint not defined');
    expect(() => createWebhookMethod({ endpoint: '   ' })).toThrow('webhook endpoint not defined');
  });

  it('a non-http(s) endpoint throws', () => {
    for (const endpoint of ['not a url', 'ftp://example.com/hook', 'file:///etc/passwd', 'example.com/hook', 'mailto:a@b.c']) {
      expect(() => createWebhookMethod({ endpoint }), endpoint).toThrow('webhook endpoint must be an http(s) URL');
    }
  });

  it('accepts http and https URLs (and URL objects)', () => {
    expect(createWebhookMethod({ endpoint: 'https://hooks.example.com/x' }).name).toBe('webhook');
    expect(createWebhookMethod({ endpoint: new URL('http://127.0.0.1:9/x') }).name).toBe('webhook');
  });

  it('an invalid secret throws at creation, without echoing it', () => {
    for (const secret of ['hunter2-secret', 'whsec_', 'whsec_!!notbase64!!', 'WHSEC_c2VjcmV0']) {
      let err: Error | undefined;
      try {
        createWebhookMethod({ endpoint: 'https://hooks.example.com/x', secret });
      } catch (e) {
        err = e as Error;
      }
      expect(err, secret).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/invalid webhook secret/);
      if (secret.length > 8) expect(err!.message).not.toContain(secret);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 9, 16, 12, 0, 0);
  it('parses delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now - 30_000).toUTCString(), now)).toBe(0);
  });
  it('ignores missing and malformed values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('later', now)).toBeUndefined();
  });
});
