// The chat channels' shared HTTP client (src/notifications/dispatch/http-post.ts): what it sends,
// what it reads back, and the address guard at connect time.
import { afterEach, describe, expect, it } from 'vitest';

import { createHttpClient, header, type HttpClient } from '../../src/notifications/dispatch/http-post.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';

const sinks: HttpSink[] = [];
const clients: HttpClient[] = [];
async function sink(...args: Parameters<typeof startHttpSink>): Promise<HttpSink> {
  const s = await startHttpSink(...args);
  sinks.push(s);
  return s;
}
function client(...args: Parameters<typeof createHttpClient>): HttpClient {
  const c = createHttpClient(...args);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

describe('shared HTTP client', () => {
  it('POSTs the body with its headers, a User-Agent and URL userinfo as Basic auth; answers status, headers and body', async () => {
    const s = await sink({ respond: { status: 429, headers: { 'Retry-After': '3' }, body: '{"ok":false}' } });
    const out = await client().request({
      url: `${s.url.replace('http://', 'http://hook%20user:p%40ss@')}/x?y=1`,
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
      signal: AbortSignal.timeout(10_000),
    });
    expect(out).toMatchObject({ answer: { status: 429, body: '{"ok":false}' } });
    if (!('answer' in out)) throw new Error('unreachable');
    expect(header(out.answer.headers, 'Retry-After')).toBe('3');
    const [req] = s.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/x?y=1');
    expect(req!.body).toBe('{"a":1}');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['content-length']).toBe('7');
    expect(req!.headers['user-agent']).toBe('Herald-Notifications');
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from('hook user:p@ss').toString('base64')}`);
  });

  it('does not follow a redirect, keeps at most 16 KiB of a long answer, and reuses its connection', async () => {
    const s = await sink({ respond: { status: 302, headers: { Location: 'http://127.0.0.1:1/elsewhere' }, body: 'x'.repeat(40_000) } });
    const c = client();
    for (let i = 0; i < 3; i++) {
      const out = await c.request({ url: s.url, body: '{}', signal: AbortSignal.timeout(10_000) });
      expect('answer' in out && out.answer.status).toBe(302);
      if ('answer' in out) expect(out.answer.body.length).toBe(16 * 1024);
    }
    expect(s.requests).toHaveLength(3);
    // undici reuses a connection one event-loop turn after its answer, so a POST sent at once may open a second one.
    expect(s.connections).toBeLessThanOrEqual(2);
  });

  it('an abort is "request timeout"; a reset or a refused connection is "request failed"', async () => {
    const s = await sink({ respond: { hang: true } });
    const ac = new AbortController();
    const pending = client().request({ url: s.url, body: '{}', signal: ac.signal });
    await s.waitFor(1, 5_000);
    ac.abort();
    expect(await pending).toEqual({ error: 'request timeout', aborted: true });

    s.respondWith({ reset: true });
    const reset = await client().request({ url: s.url, body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(reset).toMatchObject({ error: expect.stringMatching(/^request failed: ./), aborted: false });

    const refused = await client().request({ url: 'http://127.0.0.1:1/x', body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(refused).toMatchObject({ error: expect.stringMatching(/^request failed: .*ECONNREFUSED/), aborted: false });
  });

  it('the guard refuses a literal address before connecting and a name in the connection\'s own lookup', async () => {
    const s = await sink();
    const seen: string[] = [];
    const c = client({
      guard: (address) => {
        seen.push(address);
        return address.startsWith('127.') || address === '::1' ? 'loopback' : undefined;
      },
    });
    const literal = await c.request({ url: `${s.url}/x`, body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(literal).toEqual({ error: 'request failed: blocked address (loopback)', aborted: false, blocked: true });
    const byName = await c.request({ url: `http://localhost:${s.port}/x`, body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(byName).toMatchObject({ error: expect.stringMatching(/^request failed: localhost resolves to a blocked address \(loopback\)/), blocked: true });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(s.requests).toHaveLength(0);
  });
});
