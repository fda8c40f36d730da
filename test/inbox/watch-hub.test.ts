import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { silentLogger } from '../../src/lib/logger.js';
import { insertUser } from '../../src/auth/users/queries.js';
import { createApiKey } from '../../src/auth/sessions.js';
import { InboxWatchHub, type Watcher } from '../../src/notifications/inbox/watch-hub.js';
import { insertInboxRows } from '../../src/notifications/inbox/store.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { addInboxRows, sleep, waitFor } from './helpers.js';

/** Just enough of a ws WebSocket to watch what the hub does with it. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closedWith?: number;
  send(frame: string) {
    this.sent.push(frame);
  }
  ping() {}
  terminate() {
    this.close(1006);
  }
  close(code: number) {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.closedWith = code;
    this.emit('close', code, Buffer.from(''));
  }
}

describeEachEngine('inbox watch hub', (engine) => {
  let database: TestDatabase;
  let hub: InboxWatchHub;
  let userId: string;
  let keyId: string;

  beforeAll(async () => {
    database = await freshDatabase(engine);
    const u = await insertUser(database.db, {
      email: 'hub@example.com',
      username: 'hub',
      name: '',
      hashedPassword: '',
      loginType: 'password',
      roles: [],
    } as never);
    userId = u.id;
    keyId = (await createApiKey(database.db, { userId, loginType: 'password', lifetimeMs: 3_600_000 })).row.id;
    hub = new InboxWatchHub({ db: database.db, log: silentLogger(), sessionCheckMs: 100, highWaterBytes: 1024 });
    await hub.start();
  });
  afterAll(async () => {
    await hub?.stop();
    await database?.drop();
  });

  const watch = (over: Partial<Watcher> = {}): { w: Watcher; s: FakeSocket } => {
    const s = new FakeSocket();
    const w: Watcher = {
      userId,
      keyId,
      filter: { targets: [], templates: [], readStatus: 'all' },
      format: 'markdown',
      socket: s as unknown as WebSocket,
      dropped: 0,
      alive: true,
      ...over,
    };
    hub.add(w);
    return { w, s };
  };

  it('drops frames for a watcher over the high-water mark without holding up the others', async () => {
    const fast = watch();
    const slow = watch();
    slow.s.bufferedAmount = 10_000;
    await addInboxRows(database.db, userId, [{ title: 'a' }, { title: 'b' }, { title: 'c' }]);
    await waitFor(() => fast.s.sent.length === 3);
    expect(fast.s.sent.map((f) => JSON.parse(f).notification.title)).toEqual(['a', 'b', 'c']);
    // Counted when sent, as the reference does: all three were committed together.
    expect(fast.s.sent.map((f) => JSON.parse(f).unread_count)).toEqual([3, 3, 3]);
    expect(slow.s.sent).toEqual([]);
    expect(slow.w.dropped).toBe(3);
    // Once it drains, it gets frames again.
    slow.s.bufferedAmount = 0;
    await addInboxRows(database.db, userId, [{ title: 'd' }]);
    await waitFor(() => slow.s.sent.length === 1);
    expect(JSON.parse(slow.s.sent[0]).notification.title).toBe('d');
    fast.s.close(1000);
    slow.s.close(1000);
    expect(hub.size).toBe(0);
  });

  it('closes watches whose API key is gone', async () => {
    const other = (await createApiKey(database.db, { userId, loginType: 'password', lifetimeMs: 3_600_000 })).row.id;
    const keep = watch();
    const revoked = watch({ keyId: other });
    await sleep(250);
    expect(revoked.s.closedWith).toBeUndefined();
    await database.db.query(`DELETE FROM api_keys WHERE id = $1`, [other]);
    await waitFor(() => revoked.s.closedWith === 1008);
    expect(keep.s.closedWith).toBeUndefined();
    keep.s.close(1000);
  });

  it('announces a batch of inbox rows with one NOTIFY per ~90 rows and sends each watched row once, in order, with its unread count', async () => {
    const other = await insertUser(database.db, { email: 'hub2@example.com', username: 'hub2', name: '', hashedPassword: '', loginType: 'password', roles: [] } as never);
    const w = watch();
    const before = (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inbox_notifications WHERE user_id = $1 AND read_at IS NULL`, [userId])).rows[0].n;
    const payloads: string[] = [];
    const unlisten = await database.db.listen('herald_inbox', (p) => payloads.push(p));
    // One statement writing 200 rows: 150 for the watched user, 50 for a user nobody watches, interleaved.
    const rows = Array.from({ length: 200 }, (_, i) => ({
      id: crypto.randomUUID(),
      user_id: i % 4 === 3 ? other.id : userId,
      template_id: TEMPLATE_CUSTOM_NOTIFICATION,
      targets: null,
      title: `batch ${i}`,
      content: 'x',
      actions: [],
    }));
    await database.db.tx((t) => insertInboxRows(t, rows));
    await waitFor(() => w.s.sent.length === 150, 10_000);
    await waitFor(() => payloads.length >= 3);
    await sleep(100);
    await unlisten();
    // 200 rows, not 200 NOTIFYs: three payloads of [user_id, id] pairs, each under the 8000-byte limit.
    expect(payloads).toHaveLength(3);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    const announced = payloads.flatMap((p) => (JSON.parse(p) as { kind: string; rows: [string, string][] }).rows.map(([, id]) => id));
    expect(announced).toEqual(rows.map((r) => r.id));
    const frames = w.s.sent.map((f) => JSON.parse(f));
    expect(frames.map((f) => f.notification.title)).toEqual(rows.filter((r) => r.user_id === userId).map((r) => r.title));
    expect(new Set(frames.map((f) => f.event))).toEqual(new Set(['new']));
    // The count is read when the batch is loaded, after the commit: every row of the batch is in it.
    expect(new Set(frames.map((f) => f.unread_count))).toEqual(new Set([before + 150]));
    w.s.close(1000);
  });

  it('a batch with two watched users gives each frame its own user\'s unread count (counted once per user)', async () => {
    const other = await insertUser(database.db, { email: 'hub3@example.com', username: 'hub3', name: '', hashedPassword: '', loginType: 'password', roles: [] } as never);
    const otherKey = (await createApiKey(database.db, { userId: other.id, loginType: 'password', lifetimeMs: 3_600_000 })).row.id;
    const unreadOf = async (u: string) =>
      (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inbox_notifications WHERE user_id = $1 AND read_at IS NULL`, [u])).rows[0].n;
    const before = await unreadOf(userId);
    // The other user already has 2 unread rows and 1 read one: written without an announcement,
    // which under load could reach the hub after the watches below and add three frames.
    await database.db.query(
      `INSERT INTO inbox_notifications (id, user_id, template_id, title, content, icon, actions, read_at)
       SELECT gen_random_uuid(), $1, $2, t, 'x', '', '[]', CASE WHEN t = 'o3' THEN now() END FROM unnest(ARRAY['o1', 'o2', 'o3']) AS t`,
      [other.id, TEMPLATE_CUSTOM_NOTIFICATION],
    );
    const mine = watch();
    const theirs = watch({ userId: other.id, keyId: otherKey });
    const rows = Array.from({ length: 10 }, (_, i) => ({
      id: crypto.randomUUID(),
      user_id: i % 2 ? other.id : userId,
      template_id: TEMPLATE_CUSTOM_NOTIFICATION,
      targets: null,
      title: `two users ${i}`,
      content: 'x',
      actions: [],
    }));
    await database.db.tx((t) => insertInboxRows(t, rows));
    await waitFor(() => mine.s.sent.length === 5 && theirs.s.sent.length === 5);
    expect(mine.s.sent.map((f) => JSON.parse(f).unread_count)).toEqual(Array(5).fill(before + 5));
    expect(theirs.s.sent.map((f) => JSON.parse(f).unread_count)).toEqual(Array(5).fill(2 + 5));
    expect(theirs.s.sent.map((f) => JSON.parse(f).notification.title)).toEqual(['two users 1', 'two users 3', 'two users 5', 'two users 7', 'two users 9']);
    expect(await unreadOf(other.id)).toBe(7);
    mine.s.close(1000);
    theirs.s.close(1000);
  });

  it('a re-delivered row (same id) is written and sent once, also when the id comes twice in one batch', async () => {
    const w = watch();
    const [id] = await addInboxRows(database.db, userId, [{ title: 'once' }]);
    await waitFor(() => w.s.sent.length === 1);
    // The dispatcher's insert (no transaction of its own): a lease expiry re-delivers the same id.
    await addInboxRows(database.db, userId, [{ id, title: 'once' }, { id, title: 'once' }, { title: 'after' }]);
    await waitFor(() => w.s.sent.length >= 2);
    await addInboxRows(database.db, userId, [{ title: 'last' }]);
    await waitFor(() => w.s.sent.length >= 3);
    expect(w.s.sent.map((f) => JSON.parse(f).notification.title)).toEqual(['once', 'after', 'last']);
    const n = (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inbox_notifications WHERE id = $1`, [id])).rows[0].n;
    expect(n).toBe(1);
    w.s.close(1000);
  });

  it('pings every watch once per heartbeat, a few at a time, and ends the ones that stop answering', async () => {
    const beat = new InboxWatchHub({ db: database.db, log: silentLogger(), heartbeatMs: 300, maxPerUser: 0 });
    await beat.start();
    try {
      // Pings made in one go (one macrotask) are counted; the largest such burst is kept.
      let burst = 0;
      let maxBurst = 0;
      const pinged = new Map<FakeSocket, number>();
      const make = (answers: boolean) => {
        const s = new FakeSocket();
        s.ping = () => {
          pinged.set(s, (pinged.get(s) ?? 0) + 1);
          if (burst++ === 0) setImmediate(() => (burst = 0));
          maxBurst = Math.max(maxBurst, burst);
          if (answers) queueMicrotask(() => s.emit('pong'));
        };
        beat.add({ userId, keyId, filter: { targets: [], templates: [], readStatus: 'all' }, format: 'markdown', socket: s as unknown as WebSocket, dropped: 0, alive: true });
        return s;
      };
      const live = Array.from({ length: 90 }, () => make(true));
      const mute = make(false);
      await waitFor(() => live.every((s) => (pinged.get(s) ?? 0) >= 3), 10_000);
      // Pinged, then ended at its next turn for not answering; the others stay open.
      await waitFor(() => mute.closedWith === 1006, 10_000);
      expect(pinged.get(mute)).toBe(1);
      expect(live.every((s) => s.closedWith === undefined)).toBe(true);
      expect(beat.size).toBe(90);
      // 91 watches: never all pinged at once (30 slots: 4 at most).
      expect(maxBurst).toBeLessThanOrEqual(4);
    } finally {
      await beat.stop();
    }
  });

  it('ignores malformed events and events of users nobody watches', async () => {
    const w = watch();
    await database.db.query(`SELECT pg_notify('herald_inbox', 'not json')`);
    await database.db.query(`SELECT pg_notify('herald_inbox', $1)`, [
      JSON.stringify({ kind: 'new', user_id: '00000000-0000-0000-0000-000000000000', id: '00000000-0000-0000-0000-000000000000' }),
    ]);
    await database.db.query(`SELECT pg_notify('herald_inbox', $1)`, [JSON.stringify({ kind: 'new', rows: [['00000000-0000-0000-0000-000000000000', 'x'], 'bad', null] })]);
    await database.db.query(`SELECT pg_notify('herald_inbox', $1)`, [JSON.stringify({ kind: 'read', rows: [[userId, userId]] })]);
    await database.db.query(`SELECT pg_notify('herald_inbox', 'null')`);
    await addInboxRows(database.db, userId, [{ title: 'ok' }]);
    await waitFor(() => w.s.sent.length === 1);
    expect(JSON.parse(w.s.sent[0]).notification.title).toBe('ok');
    w.s.close(1000);
  });
});
