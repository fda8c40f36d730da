// Issue 19 in the inbox: a grouped message's inbox row carries its members (`group`), so the
// dashboard can show the group as one item that expands. Injected clock.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { ManualClock } from '../support/clock.js';
import { waitFor } from '../support/wait.js';
import { TEMPLATE_WORKSPACE_DELETED } from '../../src/notifications/templates/catalogue.js';

describeEachEngine('inbox: grouped messages', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  const clock = new ManualClock(new Date('2025-03-04T10:05:00Z'));

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

  const inbox = async () => (await owner.get(`/notifications/inbox?templates=${TEMPLATE_WORKSPACE_DELETED}`)).body.notifications as any[];

  it('lists the members of a grouped message; a plain message has no group', async () => {
    expect((await owner.put(`/notifications/templates/${TEMPLATE_WORKSPACE_DELETED}/grouping`, { window: '5m' })).status).toBe(200);
    for (const name of ['a', 'b', 'c']) {
      await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_WORKSPACE_DELETED, labels: { name, reason: 'r', initiator: 'x' }, createdBy: 'test' }]);
      clock.advance(1000);
    }
    // The first is delivered at once, without a group.
    const [first] = await waitFor(async () => ((await inbox()).length === 1 ? await inbox() : undefined));
    expect(first.group).toBeUndefined();
    const released = new Promise((r) => server.notifications.releaser.on('released', r));
    clock.advance(5 * 60_000);
    await released;
    const rows = await waitFor(async () => ((await inbox()).length === 2 ? await inbox() : undefined), 10_000);
    const grouped = rows.find((n) => n.id !== first.id);
    expect(grouped.group).toMatchObject({ count: 2, events: [{ title: expect.any(String) }, { title: expect.any(String) }] });
    expect(grouped.group.events.every((e: any) => !Number.isNaN(Date.parse(e.created_at)))).toBe(true);
    expect(grouped.group.events.map((e: any) => e.title).join(' ')).toMatch(/b[\s\S]*c/);
  });
});
