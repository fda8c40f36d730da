// Burst grouping (issue 19): a storm of failed builds reaches each template admin as the first
// message at once plus one grouped message at the window's end, and every event stays in the
// delivery history with the message that carried it. Injected clock: no sleeps.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, dispatcherOf, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { ManualClock } from '../support/clock.js';
import { waitFor } from '../support/wait.js';
import { TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED } from '../../src/notifications/templates/catalogue.js';
import { buildFailed, stormItems } from './helpers.js';

const EVENTS = 100;
const WORKSPACES = 10;

describeEachEngine('burst grouping: a storm of failed builds, one in-process replica', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let admins: { id: string; api: ApiHelper }[];
  const clock = new ManualClock(new Date('2025-03-04T10:00:00Z'));

  beforeAll(async () => {
    sink = await startHttpSink();
    server = await startTestServer(engine, {
      now: clock.now,
      scheduler: clock.scheduler,
      config: { notifications: { method: 'webhook', webhook: { endpoint: sink.url + '/hook', secret: '' }, fetchInterval: 60_000 } },
    });
    ({ api: owner } = await setupOwner(server.api));
    admins = await Promise.all([0, 1, 2].map(() => createUser(owner, ['template-admin'])));
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  it(`${EVENTS} failures across ${WORKSPACES} workspaces in one minute: ≤ 2 messages per admin and channel, the grouped one names all, none missing`, async () => {
    const grouping = (await owner.get(`/notifications/templates/${TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED}/grouping`)).body;
    expect(grouping).toMatchObject({ window: '5m', key: [], mode: 'list', throttle: null, critical: false });

    const items = stormItems(EVENTS, WORKSPACES);
    const hookFor = (uid: string) =>
      sink.requests.filter((r) => (r.json as any)?.payload?.user_id === uid && (r.json as any).payload.notification_template_id === TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED);
    // The first failure goes out at once: no window to wait for.
    await server.enqueuer.enqueueMany(admins.map((a) => buildFailed(a.id, items[0].ws, items[0].build)));
    await waitFor(() => admins.every((a) => hookFor(a.id).length === 1));
    for (const a of admins) expect((hookFor(a.id)[0].json as any).title).toBe('Workspace "ws-0" manual build failed');
    for (const it of items.slice(1)) {
      clock.advance(600); // 99 more within the minute
      await server.enqueuer.enqueueMany(admins.map((a) => buildFailed(a.id, it.ws, it.build)));
    }
    const held = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE status = 'held'`);
    expect(held.rows[0].n).toBe((EVENTS - 1) * admins.length * 2); // webhook + inbox
    expect(hookFor(admins[0].id)).toHaveLength(1);

    // The window (5 minutes from the first failure) ends: one grouped message per admin and channel.
    const released = new Promise((r) => server.notifications.releaser.on('released', r));
    clock.advance(5 * 60_000);
    await released;
    await waitFor(() => admins.every((a) => hookFor(a.id).length === 2));
    await waitFor(async () => {
      const r = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM inbox_notifications WHERE template_id = $1`, [TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED]);
      return r.rows[0].n === admins.length * 2;
    });

    for (const a of admins) {
      const hooks = hookFor(a.id);
      expect(hooks).toHaveLength(2);
      const grouped = hooks[1].json as any;
      expect(grouped.title).toBe(`${EVENTS - 1} more manual builds failed`);
      const listed = items.slice(1, 26).map((x) => x.name).join(', ');
      expect(grouped.body).toBe(`${EVENTS - 1} more builds failed: ${listed} and ${EVENTS - 1 - 25} more.`);
      expect(grouped.payload.actions).toEqual([{ label: 'View failed workspaces', url: 'http://test.com/workspaces?filter=status:failed' }]);
      // Every held event is named in the message's data, in order.
      expect(grouped.payload.data.group.events.map((e: any) => e.name)).toEqual(items.slice(1).map((x) => x.name));

      const inbox = await a.api.get('/notifications/inbox');
      expect(inbox.status).toBe(200);
      expect(inbox.body.notifications.map((n: any) => n.title)).toEqual([`${EVENTS - 1} more manual builds failed`, 'Workspace "ws-0" manual build failed']);
    }

    // The delivery history: all 100 events per admin and channel; each held one says which message carried it.
    const history = await server.db.query<{ user_id: string; method: string; status: string; n: number }>(
      `SELECT user_id, method::text AS method, status::text AS status, count(*)::int AS n FROM notification_messages
       WHERE notification_template_id = $1 AND carries IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED],
    );
    expect(history.rows).toHaveLength(admins.length * 2 * 2);
    for (const row of history.rows) expect(row.n).toBe(row.status === 'sent' ? 1 : EVENTS - 1);
    expect(new Set(history.rows.map((r) => r.status))).toEqual(new Set(['sent', 'grouped']));

    const api = await owner.get(`/notifications/messages?user_id=${admins[0].id}&method=webhook&limit=500`);
    expect(api.status).toBe(200);
    expect(api.body.count).toBe(EVENTS + 1);
    const carrier = api.body.messages.find((m: any) => m.carries_group);
    expect(carrier).toBeDefined();
    const members = api.body.messages.filter((m: any) => m.status === 'grouped');
    expect(members).toHaveLength(EVENTS - 1);
    for (const m of members) {
      expect(m.carried_by).toBe(carrier.id);
      expect(m.group_id).toBe(carrier.carries_group);
    }
    const first = api.body.messages.find((m: any) => m.status === 'sent' && !m.carries_group);
    expect(first.group_id).toBe(carrier.carries_group);

    // A failure after the window opens a new group: immediate again.
    clock.advance(1000);
    await server.enqueuer.enqueueMany([buildFailed(admins[0].id, 0, 99)]);
    await waitFor(() => hookFor(admins[0].id).length === 3);
    expect(dispatcherOf(server).state).toBe('running');
  });
});
