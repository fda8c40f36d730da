// Flap guard, throttles, digests, quiet hours and critical templates (issue 19). Injected clock.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { ManualClock } from '../support/clock.js';
import { waitFor } from '../support/wait.js';
import {
  TEMPLATE_CUSTOM_NOTIFICATION,
  TEMPLATE_NOTIFICATION_DIGEST,
  TEMPLATE_TASK_IDLE,
  TEMPLATE_TASK_WORKING,
  TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
  TEMPLATE_WORKSPACE_DELETED,
} from '../../src/notifications/templates/catalogue.js';

describeEachEngine('signal over noise: flap guard, throttles, digests, quiet hours', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  const clock = new ManualClock(new Date('2025-03-04T10:05:00Z'));
  const hooks = (templates: string[]) => sink.requests.filter((r) => templates.includes((r.json as any)?.payload?.notification_template_id));
  const release = () => new Promise((r) => server.notifications.releaser.on('released', r));

  beforeAll(async () => {
    sink = await startHttpSink();
    server = await startTestServer(engine, {
      now: clock.now,
      scheduler: clock.scheduler,
      config: { notifications: { method: 'webhook', webhook: { endpoint: sink.url + '/hook', secret: '' }, fetchInterval: 60_000 } },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  it('a task flipping working/idle 20 times in 60 s sends at most 3 messages, the last with the final state', async () => {
    const tasks = [TEMPLATE_TASK_WORKING, TEMPLATE_TASK_IDLE];
    for (let i = 0; i < 20; i++) {
      await server.enqueuer.enqueueMany([
        { userId: ownerId, templateId: tasks[i % 2], labels: { task: 'fix the tests', workspace: 'ai-1' }, data: { flip: i }, createdBy: 'test' },
      ]);
      clock.advance(3000);
    }
    await waitFor(() => hooks(tasks).length >= 1);
    const done = release();
    clock.advance(5 * 60_000);
    await done;
    await waitFor(() => hooks(tasks).length >= 2);
    const got = hooks(tasks);
    expect(got.length).toBeLessThanOrEqual(3);
    const last = got[got.length - 1].json as any;
    expect(last.payload.notification_template_id).toBe(TEMPLATE_TASK_IDLE); // flip 19 was idle
    expect(last.title).toBe("Task 'ai-1' is idle");
    expect(last.payload.data.group.count).toBe(19);
  });

  it('a throttle holds the excess for the next group instead of dropping it', async () => {
    const put = await owner.put(`/notifications/templates/${TEMPLATE_WORKSPACE_DELETED}/grouping`, { window: '0s', throttle: { count: 2, period: '1h' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ window: '0s', throttle: { count: 2, period: '1h' } });
    const bad = await owner.put(`/notifications/templates/${TEMPLATE_WORKSPACE_DELETED}/grouping`, { window: 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.validations).toEqual([{ field: 'window', detail: expect.any(String) }]);
    for (let i = 0; i < 5; i++) {
      await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_WORKSPACE_DELETED, labels: { name: `w${i}`, reason: 'r', initiator: 'x' }, createdBy: 'test' }]);
      clock.advance(1000);
    }
    await waitFor(() => hooks([TEMPLATE_WORKSPACE_DELETED]).length === 2);
    const done = release();
    clock.advance(3_600_000);
    await done;
    await waitFor(() => hooks([TEMPLATE_WORKSPACE_DELETED]).length === 3);
    const grouped = hooks([TEMPLATE_WORKSPACE_DELETED])[2].json as any;
    expect(grouped.payload.data.group.events.map((e: any) => e.name)).toEqual(['w2', 'w3', 'w4']);
    const reasons = await server.db.query<{ status_reason: string }>(
      `SELECT status_reason FROM notification_messages WHERE notification_template_id = $1 AND method = 'webhook' AND status = 'grouped'`,
      [TEMPLATE_WORKSPACE_DELETED],
    );
    expect(reasons.rows).toHaveLength(3);
    for (const r of reasons.rows) expect(r.status_reason).toMatch(/^delivered in message [0-9a-f-]{36} \(throttle\)$/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`coderd_notifications_throttled_total\\{notification_template_id="${TEMPLATE_WORKSPACE_DELETED}"\\} 6`)); // 3 held per channel (webhook and inbox)
  });

  it('an hourly digest: 50 events in an hour → one message at the hour with 50 entries in order; the inbox stays live', async () => {
    clock.advance(new Date('2025-03-04T12:05:00Z').getTime() - clock.now().getTime());
    const put = await owner.put('/users/me/notifications/schedule', { time_zone: 'Europe/Berlin', quiet_hours: null, digest: { frequency: 'hourly' } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ time_zone: 'Europe/Berlin', quiet_hours: null, digest: { frequency: 'hourly', at: '09:00', templates: null } });
    const before = sink.requests.length;
    for (let i = 0; i < 50; i++) {
      await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: `event ${i}`, custom_message: 'm' }, createdBy: 'test' }]);
      clock.advance(60_000);
    }
    await waitFor(async () => (await owner.get('/notifications/inbox')).body.notifications.filter((n: any) => n.template_id === TEMPLATE_CUSTOM_NOTIFICATION).length === 25);
    expect(sink.requests.length).toBe(before); // nothing by webhook yet
    const done = release();
    clock.advance(new Date('2025-03-04T13:00:00Z').getTime() - clock.now().getTime());
    await done;
    await waitFor(() => hooks([TEMPLATE_NOTIFICATION_DIGEST]).length === 1);
    const digest = hooks([TEMPLATE_NOTIFICATION_DIGEST])[0].json as any;
    expect(digest.title).toBe('50 notifications since 2025-03-04 13:05 (Europe/Berlin)');
    expect(digest.payload.data.group.events.map((e: any) => e.title)).toEqual(Array.from({ length: 50 }, (_, i) => `event ${i}`));
    expect(digest.body).toContain('Custom Notification: event 49');
    expect(hooks([TEMPLATE_CUSTOM_NOTIFICATION])).toHaveLength(0);
  });

  it('quiet hours hold and release as one digest at the end; the one-time passcode bypasses them', async () => {
    const put = await owner.put('/users/me/notifications/schedule', { time_zone: 'Europe/Berlin', quiet_hours: { start: '22:00', end: '07:00' }, digest: null });
    expect(put.status).toBe(200);
    const bad = await owner.put('/users/me/notifications/schedule', { time_zone: 'Mars/Olympus', quiet_hours: { start: '25:00', end: '07:00' }, digest: null });
    expect(bad.status).toBe(400);
    expect(bad.body.validations.map((v: any) => v.field)).toEqual(['time_zone', 'quiet_hours.start']);
    clock.advance(new Date('2025-03-04T21:30:00Z').getTime() - clock.now().getTime()); // 22:30 in Berlin
    const before = hooks([TEMPLATE_NOTIFICATION_DIGEST]).length;
    for (let i = 0; i < 3; i++) {
      await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: `night ${i}`, custom_message: 'm' }, createdBy: 'test' }]);
      clock.advance(60_000);
    }
    await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE, labels: { one_time_passcode: '123456' }, createdBy: 'test' }]);
    await waitFor(() => hooks([TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE]).length === 1);
    expect(hooks([TEMPLATE_CUSTOM_NOTIFICATION])).toHaveLength(0);
    const done = release();
    clock.advance(new Date('2025-03-05T06:00:00Z').getTime() - clock.now().getTime()); // 07:00 in Berlin
    await done;
    await waitFor(() => hooks([TEMPLATE_NOTIFICATION_DIGEST]).length === before + 1);
    const digest = hooks([TEMPLATE_NOTIFICATION_DIGEST])[before].json as any;
    expect(digest.payload.data.group.reason).toBe('quiet_hours');
    expect(digest.payload.data.group.events.map((e: any) => e.title)).toEqual(['night 0', 'night 1', 'night 2']);
  });
});
