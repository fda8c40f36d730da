// Bad input: whatever a client sends — random bodies, parameters and query strings on every JSON
// endpoint of the OpenAPI document, oversized or malformed bodies, wrong content types, broken
// WebSocket frames — the answer is a clear 4xx with a JSON error body, never a 5xx or a crash. And
// Markdown/HTML smuggled into a custom notification never becomes a link or tag in the e-mail.

import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { figures, primaryEngine, scale, waitUntil } from './helpers.js';

const engine = primaryEngine();
const RUNS_PER_ENDPOINT = scale(5, 10_000);

interface Operation {
  method: string;
  path: string;
  params: string[];
  query: Array<{ name: string }>;
  body?: { properties?: Record<string, unknown>; type?: string };
}

function operations(doc: any): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item)) {
      const parameters: any[] = op.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name })),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return out;
}

// Strings that tend to break things: SQL, path tricks, unicode, huge numbers, NUL bytes.
const nasty = fc.oneof(
  fc.string(),
  fc.constantFrom('me', "' OR 1=1 --", '../../etc/passwd', '%00', '\u0000', '\ud800', 'NaN', '-1', '1e309', '00000000-0000-0000-0000-000000000000', 'a'.repeat(5000), '{}', '[]', 'null', '🦄'),
  fc.uuid(),
  fc.integer().map(String),
);
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, 0, '', [], {}, 1e308, -1, true));

function bodyArb(schema: Operation['body']): fc.Arbitrary<unknown> {
  const props = Object.keys(schema?.properties ?? {});
  if (!props.length) return anyJson;
  const shaped = fc.record(Object.fromEntries(props.map((p) => [p, fc.oneof(anyJson, nasty)])), { requiredKeys: [] });
  return fc.oneof(shaped, anyJson);
}

/** encodeURIComponent that survives lone surrogates (sent as '?'). */
const enc = (s: string): string => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, (c, i, all) => (/[\ud800-\udbff][\udc00-\udfff]/.test(all.slice(i, i + 2)) || /[\ud800-\udbff][\udc00-\udfff]/.test(all.slice(i - 1, i + 1)) ? c : '?')));

/** PostgreSQL's own wording: never in an answer. */
const DB_TEXT = /invalid byte sequence|invalid input syntax|out of range for type|violates .* constraint|unterminated|relation "|column "|syntax error at/i;

const isJsonError = (r: { status: number; body: any; headers: Headers }): boolean =>
  (r.headers.get('content-type') ?? '').includes('application/json') && typeof r.body?.message === 'string';

describe(`bad input [${engine}]`, () => {
  let server: TestServer;
  let owner: ApiHelper;
  let token: string;
  let smtp: SmtpSink;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    server = await startTestServer(engine, {
      config: {
        email: { from: 'Herald <noreply@example.com>', smarthost: smtp.smarthost, hello: 'localhost' },
        notifications: { method: 'smtp', customRateLimit: 0, fetchInterval: 200 },
      },
    });
    owner = (await setupOwner(server.api)).api;
    token = owner.token!;
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  it(`fast-check: ${RUNS_PER_ENDPOINT} random requests per JSON endpoint of /api/v2/openapi.json, never a 5xx`, { timeout: scale(30_000, 24 * 3600_000) }, async () => {
    const doc = await server.api.get('/api/v2/openapi.json');
    expect(doc.status).toBe(200);
    // Logging out would end the session the rest of the run uses.
    const ops = operations(doc.body).filter((o) => o.path !== '/api/v2/users/logout');
    expect(ops.length).toBeGreaterThan(30);
    let requests = 0;
    const statuses: Record<number, number> = {};
    for (const op of ops) {
      const arb = fc.record({
        params: fc.tuple(...op.params.map(() => nasty)),
        query: fc.array(fc.tuple(fc.constantFrom(...(op.query.length ? op.query.map((q) => q.name) : ['q'])), nasty), { maxLength: 3 }),
        body: bodyArb(op.body),
        anonymous: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ params, query, body, anonymous }) => {
          let path = op.path;
          op.params.forEach((name, i) => (path = path.replace(`{${name}}`, enc(params[i] || 'x'))));
          const qs = query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
          const api = anonymous ? owner.as(undefined) : owner;
          const r = await api.call(op.method, qs ? `${path}?${qs}` : path, ['GET', 'DELETE'].includes(op.method) ? undefined : (body ?? null));
          requests++;
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status >= 500 || (r.status >= 400 && !isJsonError(r)) || DB_TEXT.test(JSON.stringify(r.body) ?? '')) {
            throw new Error(`${op.method} ${path}?${qs} body=${JSON.stringify(body)?.slice(0, 300)} → ${r.status} ${JSON.stringify(r.body)?.slice(0, 300)}`);
          }
        }),
        { numRuns: RUNS_PER_ENDPOINT, endOnFailure: true },
      );
    }
    expect((await server.api.get('/healthz')).status).toBe(200);
    figures(`bad-input fast-check [${engine}]`, { endpoints: ops.length, requests, statuses, server_errors: 0 });
  });

  it('oversized, invalid UTF-8, deeply nested and wrongly typed bodies get a JSON 4xx', async () => {
    const post = (body: string | Buffer, contentType = 'application/json') =>
      fetch(`${server.url}/api/v2/users/login`, { method: 'POST', headers: { 'content-type': contentType }, body });
    const check = async (p: Promise<Response>, status: number | number[]) => {
      const r = await p;
      const text = await r.text();
      expect([status].flat(), text).toContain(r.status);
      expect(typeof JSON.parse(text).message).toBe('string');
    };
    await check(post(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(2 * 1024 * 1024) })), 413);
    const invalidUtf8 = await fetch(`${server.url}/api/v2/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('@example.com","password":"x"}')]),
    });
    expect([invalidUtf8.status, await invalidUtf8.json()]).toEqual([400, { message: 'Request body must be valid UTF-8.', validations: [{ field: 'body', detail: 'not valid UTF-8' }] }]);
    // Valid UTF-8 beyond ASCII is fine.
    await check(post(Buffer.from(JSON.stringify({ email: 'zoë@example.com', password: 'pässwörd' }))), 401);
    await check(post('['.repeat(200_000) + ']'.repeat(200_000)), 400);
    await check(post('{"email": {"a": '.repeat(5_000) + '1' + '}'.repeat(10_000)), 400);
    await check(post('{"email": "a@example.com", "password": '), 400);
    await check(post(''), 400);
    await check(post('email=a@example.com&password=x', 'application/x-www-form-urlencoded'), 415);
    await check(post('{"email":"a@example.com","password":"x"}', 'text/plain'), 415);
    await check(post('<login/>', 'application/xml'), 415);
    await check(post('{"email":"a@example.com"}', 'multipart/form-data; boundary=x'), 415);
    // A session token with control characters or absurd length: a 401, not a 500.
    for (const bad of ['x'.repeat(10_000), 'a-b', '-', '\u00e9\u00e9-\u00e9']) {
      const r = await fetch(`${server.url}/api/v2/users/me`, { headers: { 'Coder-Session-Token': encodeURIComponent(bad) } });
      expect(r.status).toBe(401);
    }
    expect((await server.api.get('/healthz')).status).toBe(200);
  });

  it('a session cookie with a malformed escape is a 4xx on every endpoint, never a 500', async () => {
    const doc = await server.api.get('/api/v2/openapi.json');
    const ops = operations(doc.body).filter((o) => o.path !== '/api/v2/users/logout');
    const statuses: Record<number, number> = {};
    for (const op of ops) {
      const path = op.params.reduce((p, name) => p.replace(`{${name}}`, 'x'), op.path);
      for (const cookie of ['coder_session_token=%', 'coder_session_token=%E0%A4%A']) {
        const r = await owner.as(undefined).call(op.method, path, ['GET', 'DELETE'].includes(op.method) ? undefined : {}, { cookie });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        expect(r.status, `${op.method} ${path}`).toBeLessThan(500);
      }
    }
    figures(`bad-input cookie [${engine}]`, { endpoints: ops.length, statuses });
  });

  it('malformed WebSocket frames on /notifications/inbox/watch close that connection only', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/api/v2/notifications/inbox/watch`;
    const open = async (): Promise<WebSocket> => {
      const ws = new WebSocket(wsUrl, { headers: { 'Coder-Session-Token': token } });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return ws;
    };
    const frames: Record<string, Buffer> = {
      'reserved opcode': Buffer.from([0x83, 0x80, 1, 2, 3, 4]),
      'unmasked client frame': Buffer.from([0x81, 0x02, 0x68, 0x69]),
      'invalid UTF-8 text': (() => {
        const mask = [1, 2, 3, 4];
        const payload = [0xff, 0xfe, 0xfd].map((b, i) => b ^ mask[i % 4]);
        return Buffer.from([0x81, 0x80 | payload.length, ...mask, ...payload]);
      })(),
      'frame over the 64 KiB limit': Buffer.concat([Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4]), Buffer.alloc(1024)]),
      'fragmented control frame': Buffer.from([0x09, 0x80, 1, 2, 3, 4]),
      'garbage bytes': Buffer.from('GET / HTTP/1.1\r\n\r\n'),
    };
    const closes: Record<string, number> = {};
    for (const [name, frame] of Object.entries(frames)) {
      const ws = await open();
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('error', () => undefined);
      (ws as unknown as { _socket: import('node:net').Socket })._socket.write(frame);
      closes[name] = await Promise.race([closed, new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`${name}: connection not closed`)), 3000))]);
    }
    // The server is fine and a well-behaved client still gets its notifications.
    expect((await server.api.get('/healthz')).status).toBe(200);
    const ws = await open();
    ws.close();
    figures(`bad-input websocket [${engine}]`, { frames: Object.keys(frames).length, close_codes: closes });
  });

  it('Markdown and HTML in custom notification titles and messages never become links or tags in the e-mail', { timeout: scale(30_000, 600_000) }, async () => {
    const fragments = [
      '<a href="https://evil.example/a">click</a>',
      '[click](https://evil.example/b)',
      '![img](https://evil.example/c.png)',
      '<img src=x onerror=alert(1)>',
      '<script>alert(1)</script>',
      '<iframe src="https://evil.example/d"></iframe>',
      'https://evil.example/e',
      '<https://evil.example/f>',
      'www.evil.example',
      '[ref]: https://evil.example/g\n[ref]',
      '<svg onload=alert(1)>',
      '"><b onmouseover=alert(1)>bold</b>',
      '`<code>` **bold** _em_',
      '&lt;script&gt;',
      '<style>body{display:none}</style>',
      'javascript:alert(1)',
    ];
    // The random requests above may have paused the notifier (PUT /notifications/settings with a
    // valid body): resume it, as an owner would.
    const resumed = await owner.put('/notifications/settings', { notifier_paused: false });
    expect([200, 304]).toContain(resumed.status);
    const sent: Array<{ title: string; message: string }> = [];
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.subarray(fragments, { minLength: 1 }), fc.subarray(fragments, { minLength: 1 }), async (t, m) => {
        const title = `T${n++} ${t.join(' ')}`.slice(0, 118);
        const message = m.join('\n');
        const r = await owner.post('/notifications/custom', { content: { title, message } });
        expect(r.status, JSON.stringify(r.body)).toBe(204);
        sent.push({ title, message });
      }),
      { numRuns: scale(12, 300) },
    );
    const custom = await waitUntil(
      async () => {
        const c = smtp.messages.filter((m) => /^T\d+ /.test(m.subject));
        return c.length >= sent.length && c;
      },
      scale(20_000, 300_000),
      'every custom notification e-mail',
    ).catch(async (err) => {
      const queue = await server.db.query(`SELECT status::text, status_reason, count(*)::int AS n FROM notification_messages GROUP BY 1, 2`);
      const settings = await server.db.query(`SELECT value FROM site_configs WHERE key = 'notifications_settings'`);
      throw new Error(
        `${(err as Error).message}: received ${JSON.stringify(smtp.messages.map((m) => m.subject))}; queue ${JSON.stringify(queue.rows)}; settings ${JSON.stringify(settings.rows)}`,
      );
    });
    let shown = false;
    for (const mail of custom) {
      // No raw HTML, no remote images, nothing runs. A custom notification is the sender's own
      // Markdown to themself, so an http(s) link they wrote stays a link; no other scheme does.
      // The template's own head holds one <style> (its dark-mode rules); the sender's text is in the body.
      expect(mail.html.match(/<style[\s>]/gi) ?? []).toHaveLength(1);
      expect(mail.html.slice(mail.html.indexOf('<body'))).not.toMatch(/<(script|iframe|svg|style|b)[\s>]/i);
      expect(mail.html).not.toMatch(/<img[^>]*(src=["']?(x|https:\/\/evil)|onerror)/i);
      expect(mail.html).not.toMatch(/<a [^>]*href=["']?(?!https?:\/\/)[^"'>]*evil\.example/i);
      expect(mail.html).not.toMatch(/<title>[^<]*<a/i);
      expect(mail.html).not.toMatch(/<[a-z][^>]*\son(error|load|mouseover)=/i);
      expect(mail.html).not.toMatch(/<[a-z][^>]*(href|src)=["']?javascript:/i);
      if (!shown && /evil/.test(mail.html)) {
        shown = true;
        process.stdout.write(`[reliability] sample escaped e-mail body: ${mail.html.split('\n').filter((l) => /evil/.test(l)).join(' | ').slice(0, 600)}\n`);
      }
    }
    figures(`bad-input injection [${engine}]`, { custom_notifications: sent.length, emails_checked: custom.length, links_or_tags_injected: 0 });
  });
});
