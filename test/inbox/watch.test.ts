import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { TEMPLATE_CUSTOM_NOTIFICATION, TEMPLATE_WORKSPACE_CREATED } from '../../src/notifications/templates/catalogue.js';
import { addInboxRows, openWatch, sleep, waitFor } from './helpers.js';

describeEachEngine('inbox watch (WebSocket)', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;

  beforeAll(async () => {
    server = await startTestServer(engine);
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('streams a custom notification sent through the API, end to end, with the unread count', async () => {
    const u = await createUser(owner);
    const w = await openWatch(server.url, { token: u.api.token });
    // The earlier row's NOTIFY reaches the hub asynchronously: had the row been written before the
    // watch opened, its frame could still arrive after the watch registered (and come first, with
    // the count before the custom one). Written after, and its frame awaited, the order is fixed.
    await addInboxRows(server.db, u.id, [{ title: 'earlier' }]);
    await w.waitFrames(1, 3000);
    const started = Date.now();
    expect((await u.api.post('/notifications/custom', { content: { title: 'Build done', message: 'All **green**' } })).status).toBe(204);
    const f = (await w.waitFrames(2, 3000))[1];
    expect(Date.now() - started).toBeLessThan(2000);
    expect(f.unread_count).toBe(2);
    expect(f.notification).toMatchObject({
      user_id: u.id,
      template_id: TEMPLATE_CUSTOM_NOTIFICATION,
      title: 'Build done',
      icon: 'DEFAULT_ICON_OTHER',
      read_at: null,
      targets: [],
      actions: [],
    });
    // Markdown by default: the label was escaped when rendered, the emphasis is the user's own text.
    expect(f.notification.content).toContain('green');
    w.close();
  });

  it('applies the filters and the plaintext format', async () => {
    const u = await createUser(owner);
    const target = crypto.randomUUID();
    const all = await openWatch(server.url, { token: u.api.token });
    const byTarget = await openWatch(server.url, { token: u.api.token, query: `targets=${target}` });
    const byTemplate = await openWatch(server.url, { token: u.api.token, query: `templates=${TEMPLATE_WORKSPACE_CREATED}` });
    const readOnly = await openWatch(server.url, { token: u.api.token, query: 'read_status=read' });
    const plain = await openWatch(server.url, { token: u.api.token, query: 'format=plaintext&read_status=unread' });
    await addInboxRows(server.db, u.id, [{ title: '**one**', content: 'Hello [link](http://x.test) *there*' }]);
    // The unread count is taken when a frame is sent: wait, so the second row is not counted in the first.
    await all.waitFrames(1);
    await addInboxRows(server.db, u.id, [{ title: 'two', targets: [target], template_id: TEMPLATE_WORKSPACE_CREATED }]);
    await all.waitFrames(2);
    await plain.waitFrames(2);
    await byTarget.waitFrames(1);
    await byTemplate.waitFrames(1);
    // Frames on one socket arrive in commit order: a row that leaked into a filtered watch would have
    // come before the last one awaited, so no waiting is needed to see that none did.
    expect(all.frames.map((f) => f.notification.title)).toEqual(['**one**', 'two']);
    expect(all.frames.map((f) => f.unread_count)).toEqual([1, 2]);
    expect(byTarget.frames.map((f) => f.notification.title)).toEqual(['two']);
    expect(byTemplate.frames.map((f) => f.notification.title)).toEqual(['two']);
    expect(byTemplate.frames[0].notification.icon).toBe('DEFAULT_ICON_WORKSPACE');
    // New rows are unread: a read-only watch never gets one.
    expect(readOnly.frames).toEqual([]);
    expect(plain.frames[0].notification.title).toBe('one');
    expect(plain.frames[0].notification.content).not.toMatch(/[*[\]]/);
    expect(plain.frames[0].notification.content).toContain('Hello');
    for (const c of [all, byTarget, byTemplate, readOnly, plain]) c.close();
  });

  it("gets only the caller's own notifications", async () => {
    const u = await createUser(owner);
    const v = await createUser(owner);
    const wu = await openWatch(server.url, { token: u.api.token });
    await addInboxRows(server.db, v.id, [{ title: 'for v' }]);
    await addInboxRows(server.db, u.id, [{ title: 'for u' }]);
    // v's row committed first, so had it leaked it would have arrived before u's.
    await wu.waitFrames(1);
    expect(wu.frames.map((f) => f.notification.title)).toEqual(['for u']);
    wu.close();
  });

  it('authenticates by header, Bearer, cookie or query parameter, and refuses without a valid token', async () => {
    const u = await createUser(owner);
    const t = u.api.token!;
    const clients = [
      await openWatch(server.url, { headers: { Authorization: `Bearer ${t}` } }),
      await openWatch(server.url, { headers: { Cookie: `coder_session_token=${t}` } }),
      await openWatch(server.url, { query: `coder_session_token=${encodeURIComponent(t)}` }),
    ];
    await addInboxRows(server.db, u.id, [{ title: 'hi' }]);
    for (const c of clients) expect((await c.waitFrames(1))[0].notification.title).toBe('hi');
    for (const c of clients) c.close();
    await expect(openWatch(server.url)).rejects.toThrow('HTTP 401');
    await expect(openWatch(server.url, { token: 'abc-def' })).rejects.toThrow('HTTP 401');
    await expect(openWatch(server.url, { query: 'coder_session_token=nope' })).rejects.toThrow('HTTP 401');
  });

  it('rejects bad filters with 400 before upgrading', async () => {
    const u = await createUser(owner);
    await expect(openWatch(server.url, { token: u.api.token, query: 'targets=zzz' })).rejects.toThrow('HTTP 400');
    await expect(openWatch(server.url, { token: u.api.token, query: 'read_status=maybe' })).rejects.toThrow('HTTP 400');
    await expect(openWatch(server.url, { token: u.api.token, query: 'format=html' })).rejects.toThrow('HTTP 400');
  });

  it('closes the watch when the session is logged out', async () => {
    const u = await createUser(owner);
    const w = await openWatch(server.url, { token: u.api.token });
    expect((await u.api.post('/users/logout')).status).toBe(200);
    const closed = await Promise.race([w.closed, sleep(5000).then(() => undefined)]);
    expect(closed?.code).toBe(1008);
  });

  it('closes every watch when the server shuts down', async () => {
    const s2 = await startTestServer(engine);
    const { api } = await setupOwner(s2.api);
    const w = await openWatch(s2.url, { token: api.token });
    await s2.stop();
    const closed = await Promise.race([w.closed, sleep(5000).then(() => undefined)]);
    expect(closed?.code).toBe(1001);
  });

  if (engine === 'postgres') {
    // Real TCP back-pressure needs megabytes of frames; PGlite is too slow to write them within the
    // test budget, so there the hub's drop policy is covered by watch-hub.test.ts.
    it('keeps delivering to other watchers while one watcher does not read', async () => {
      const u = await createUser(owner);
      const slow = await openWatch(server.url, { token: u.api.token });
      const fast = await openWatch(server.url, { token: u.api.token });
      // The slow client stops reading from its TCP socket: the server's send buffer fills up.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      // Rows too big for a NOTIFY payload (announced by id, loaded by the hub): ~16 MB in all.
      const big = 'x'.repeat(80_000);
      const n = 200;
      await addInboxRows(server.db, u.id, Array.from({ length: n }, (_, i) => ({ title: `big ${i}`, content: big })));
      await fast.waitFrames(n, 15_000);
      expect(fast.frames.map((f) => f.notification.title)).toEqual(Array.from({ length: n }, (_, i) => `big ${i}`));
      // The stalled socket lost frames rather than buffering without bound; resumed, it still works.
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      // Until the server's buffer for it has drained below the high-water mark, a new frame is
      // still dropped; so a new row goes out every 250 ms until one reaches the resumed watcher.
      let sent = 0;
      let last = 0;
      await waitFor(async () => {
        if (slow.frames.some((f) => f.notification.title.startsWith('after '))) return true;
        if (Date.now() - last >= 250) {
          last = Date.now();
          await addInboxRows(server.db, u.id, [{ title: `after ${sent++}` }]);
        }
        return false;
      }, 15_000);
      // Everything buffered before it has arrived by now, and some of the n were dropped.
      const bigFrames = slow.frames.filter((f) => f.notification.title.startsWith('big '));
      expect(bigFrames.length).toBeLessThan(n);
      slow.close();
      fast.close();
    }, 45_000);

    it('delivers a row written through replica A to a watcher on replica B (one PostgreSQL)', async () => {
      const b = await startTestServer('postgres', { database: server.database });
      try {
        const u = await createUser(owner);
        const onB = await openWatch(b.url, { token: u.api.token });
        const onA = await openWatch(server.url, { token: u.api.token });
        // Sent through A's API; whichever replica's dispatcher writes the row, both hubs hear it.
        expect((await u.api.post('/notifications/custom', { content: { title: 'cross', message: 'replica' } })).status).toBe(204);
        expect((await onB.waitFrames(1, 3000))[0].notification.title).toBe('cross');
        expect((await onA.waitFrames(1, 3000))[0].notification.title).toBe('cross');
        // A row inserted on A's database handle reaches B's watcher too.
        await addInboxRows(server.db, u.id, [{ title: 'from A' }]);
        expect((await onB.waitFrames(2, 3000))[1].notification.title).toBe('from A');
        onA.close();
        onB.close();
      } finally {
        await b.stop();
      }
    });
  }
});
