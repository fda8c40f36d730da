// Every template in the catalogue must be raised by at least one test that goes through the real
// event (an API call, a build, a tick), not by enqueuing it directly. This is observed, not
// declared: test/support/raised.ts records every raise of every test file (through the
// notifications diagnostics channel, classified by its call stack), and at the end of a whole run
// test/support/raised-check.ts (called by the summary reporter) fails the run, naming each
// catalogue template no test raised for real. A partial run (one file, -t) says it skipped that
// check. This file checks the instrument itself: that the catalogue it checks is the database's,
// that a real event is recorded as real and a direct enqueue as direct.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cat from '../../src/notifications/templates/catalogue.js';
import { createEnqueuer } from '../../src/notifications/enqueue.js';
import { silentLogger } from '../../src/lib/logger.js';
import { freshDatabase, type TestDatabase } from '../support/db.js';
import { createUser, setupOwner, startTestServer, testConfig, type TestServer } from '../support/server.js';
import { classify, raises } from '../support/raised.js';
import { messages } from './helpers.js';

describe('the catalogue the end-of-run check covers', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await freshDatabase('pglite');
  });
  afterAll(async () => t?.drop());

  it('is every template in the migrated database', async () => {
    const ids = (await t.db.query<{ id: string }>(`SELECT id::text AS id FROM notification_templates ORDER BY id`)).rows.map((r) => r.id);
    expect(cat.CATALOGUE.map((c) => c.id).sort()).toEqual(ids);
  });

  it('a direct enqueue by a test is recorded as direct, with the test as its caller', async () => {
    const u = await t.db.query<{ id: string }>(`INSERT INTO users (email, username, hashed_password) VALUES ('d@example.com', 'd', '\\x') RETURNING id`);
    const cfg = testConfig();
    const enq = createEnqueuer({ db: t.db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
    const before = raises.length;
    await enq.enqueueMany([{ userId: u.rows[0].id, templateId: cat.TEMPLATE_WORKSPACE_DORMANT, labels: { name: 'x', reason: 'y' }, createdBy: 'test' }]);
    expect(raises.slice(before)).toEqual([
      { templateId: cat.TEMPLATE_WORKSPACE_DORMANT, direct: true, caller: 'test/platform/catalogue-coverage.test.ts', test: expect.stringContaining('recorded as direct') },
    ]);
  });

  it('classifies by the synchronous stack: a test frame before the first async boundary means direct', () => {
    const root = new URL('../../', import.meta.url).pathname;
    const frame = (f: string, fn = 'x') => `    at ${fn} (${root}${f}:1:1)`;
    const stack = (...frames: string[]) => ['Error', ...frames].join('\n');
    expect(classify(stack(frame('src/notifications/raised.ts'), frame('src/notifications/enqueue.ts'), frame('src/platform/lifecycle/notify.ts'), '    at async decide (x)', frame('test/platform/lifecycle.test.ts'))))
      .toEqual({ direct: false, caller: 'src/platform/lifecycle/notify.ts' });
    expect(classify(stack(frame('src/notifications/enqueue.ts'), frame('src/platform/lifecycle/notify.ts'), frame('test/platform/x.test.ts'))))
      .toEqual({ direct: true, caller: 'src/platform/lifecycle/notify.ts' });
  });
});

describe('User account activated (a real event, observed)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => server?.stop());

  it('activating a suspended account sends User account activated to the owners, recorded as a real raise', async () => {
    const { api: owner, userId } = await setupOwner(server.api);
    const bob = await createUser(owner);
    expect((await owner.put(`/users/${bob.id}/status/suspend`)).status).toBe(200);
    const before = raises.length;
    expect((await owner.put(`/users/${bob.id}/status/activate`)).status).toBe(200);
    const sent = await messages(server.db, cat.TEMPLATE_USER_ACCOUNT_ACTIVATED);
    expect(sent.map((m) => m.user_id)).toEqual([userId]);
    expect(sent[0].payload.labels.activated_account_name).toBe(bob.username);
    const seen = raises.slice(before).filter((r) => r.templateId === cat.TEMPLATE_USER_ACCOUNT_ACTIVATED);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ direct: false, caller: expect.stringMatching(/^src\//) });
  });
});
