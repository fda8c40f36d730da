import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { CLOSE_TOO_MANY_WATCHERS } from '../../src/notifications/inbox/watch-hub.js';
import { addInboxRows, openWatch, sleep, waitFor, type WatchClient } from './helpers.js';

// Real WebSocket handshakes (the ws package) against a real server whose access URL is
// http://test.com (test/support/server.ts).
describeEachEngine('inbox watch: origin check and per-user cap', (engine) => {
  const MAX = 3;
  let server: TestServer;
  let owner: ApiHelper;

  beforeAll(async () => {
    server = await startTestServer(engine, { config: { notifications: { inbox: { maxWatchersPerUser: MAX } } } });
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a cookie-authenticated handshake from another origin (or Origin: null) with 403', async () => {
    const u = await createUser(owner);
    const cookie = `coder_session_token=${u.api.token}`;
    for (const origin of ['http://evil.example', 'null', 'http://test.com.evil.example', 'https://test.com']) {
      await expect(openWatch(server.url, { headers: { Cookie: cookie, Origin: origin } }), origin).rejects.toThrow('HTTP 403');
    }
    const r = await fetch(`${server.url}/api/v2/notifications/inbox/watch`, { headers: { Cookie: cookie, Origin: 'http://evil.example' } });
    expect(r.status).toBe(403);
    const body = (await r.json()) as { message: string; detail: string };
    expect(body.message).toBe('Cross-origin WebSocket request refused.');
    expect(body.detail).toContain('http://test.com');
  });

  it('accepts the cookie from the access URL origin, from the origin it was sent to, and without an Origin', async () => {
    const u = await createUser(owner);
    const cookie = `coder_session_token=${u.api.token}`;
    const clients = [
      await openWatch(server.url, { headers: { Cookie: cookie, Origin: 'http://test.com' } }),
      // The dashboard served by this very server (its address, not the access URL's).
      await openWatch(server.url, { headers: { Cookie: cookie, Origin: server.url } }),
      // Not a browser page: nothing to check.
      await openWatch(server.url, { headers: { Cookie: cookie } }),
    ];
    await addInboxRows(server.db, u.id, [{ title: 'same origin' }]);
    for (const c of clients) expect((await c.waitFrames(1))[0].notification.title).toBe('same origin');
    for (const c of clients) c.close();
  });

  it('accepts a token in a header or the query from any origin (no cookie to ride on)', async () => {
    const u = await createUser(owner);
    const t = u.api.token!;
    const evil = { Origin: 'http://evil.example' };
    const clients = [
      await openWatch(server.url, { token: t, headers: evil }),
      await openWatch(server.url, { headers: { ...evil, Authorization: `Bearer ${t}` } }),
      await openWatch(server.url, { query: `coder_session_token=${encodeURIComponent(t)}`, headers: { ...evil, Origin: 'null' } }),
    ];
    await addInboxRows(server.db, u.id, [{ title: 'token' }]);
    for (const c of clients) expect((await c.waitFrames(1))[0].notification.title).toBe('token');
    for (const c of clients) c.close();
  });

  it(`caps open watches per user at ${MAX}: the new one is closed with ${CLOSE_TOO_MANY_WATCHERS} and a reason, the others keep working`, async () => {
    const u = await createUser(owner);
    const v = await createUser(owner);
    const open: WatchClient[] = [];
    for (let i = 0; i < MAX; i++) open.push(await openWatch(server.url, { token: u.api.token }));
    const refused = await openWatch(server.url, { token: u.api.token });
    const closed = await Promise.race([refused.closed, sleep(5000).then(() => ({ code: 0, reason: 'still open after 5 s' }))]);
    expect(closed.code).toBe(CLOSE_TOO_MANY_WATCHERS);
    expect(closed.reason).toBe(`too many open inbox watches (at most ${MAX} per user)`);
    // Another user is not affected by u's count.
    const other = await openWatch(server.url, { token: v.api.token });
    await addInboxRows(server.db, u.id, [{ title: 'still here' }]);
    for (const c of open) expect((await c.waitFrames(1))[0].notification.title).toBe('still here');
    expect(refused.frames).toEqual([]);
    // Closing one frees its place.
    open.shift()!.close();
    const again = await waitFor(async () => {
      const c = await openWatch(server.url, { token: u.api.token });
      const res = await Promise.race([c.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 300))]);
      return res === 'open' && c;
    });
    await addInboxRows(server.db, u.id, [{ title: 'room again' }]);
    expect((await again.waitFrames(1))[0].notification.title).toBe('room again');
    for (const c of [...open, again, other]) c.close();
  });
});
