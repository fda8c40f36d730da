import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { testConfig } from '../support/server.js';
import { createEnqueuer, UnknownTemplateError, type Enqueuer } from '../../src/notifications/enqueue.js';
import { silentLogger } from '../../src/lib/logger.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';

describeEachEngine('enqueueMany (batched enqueue)', (engine) => {
  let database: TestDatabase;
  let enq: Enqueuer;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    database = await freshDatabase(engine);
    const users = await database.db.query<{ id: string }>(
      `INSERT INTO users (email, username, name, hashed_password)
       VALUES ('alice@example.com', 'alice', 'Alice A', '\\x'), ('bob@example.com', 'bob', '', '\\x') RETURNING id`,
    );
    [alice, bob] = users.rows.map((r) => r.id);
    const cfg = testConfig({ email: { smarthost: 'localhost:25' }, notifications: { inbox: { enabled: true } } });
    enq = createEnqueuer({ db: database.db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
  });
  afterAll(async () => database?.drop());

  const req = (userId: string, n: string) => ({ userId, templateId: TEMPLATE_TEST_NOTIFICATION, labels: {}, data: { n }, createdBy: 'test' });

  it('inserts one message per method for each request, with the same payload as a batch of one', async () => {
    const ids = await enq.enqueueMany([req(alice, 'a1'), req(bob, 'b1')]);
    expect(ids.map((x) => x.length)).toEqual([2, 2]);
    const [single] = await enq.enqueueMany([req(alice, 'a2')]);
    const rows = await database.db.query<{ id: string; method: string; payload: Record<string, unknown> }>(
      `SELECT id, method::text AS method, payload FROM notification_messages WHERE id = ANY($1::uuid[]) ORDER BY method`,
      [[...ids[0], ...single]],
    );
    const batched = rows.rows.filter((r) => ids[0].includes(r.id));
    const one = rows.rows.filter((r) => single.includes(r.id));
    expect(batched.map((r) => r.method)).toEqual(['smtp', 'inbox'].sort());
    for (const [b, s] of batched.map((r, i) => [r.payload, one[i].payload])) {
      expect({ ...b, data: null }).toEqual({ ...s, data: null });
      expect(b).toMatchObject({ user_name: 'Alice A', user_email: 'alice@example.com', user_username: 'alice' });
    }
  });

  it('skips duplicates (within the batch and of earlier messages) and disabled templates', async () => {
    await database.db.query(
      `INSERT INTO notification_preferences (user_id, notification_template_id, disabled) VALUES ($1, $2, true)`,
      [bob, TEMPLATE_TEST_NOTIFICATION],
    );
    const ids = await enq.enqueueMany([req(alice, 'a1'), req(alice, 'a3'), req(alice, 'a3'), req(bob, 'b2')]);
    expect(ids.map((x) => x.length)).toEqual([0, 2, 0, 0]);
  });

  it('refuses a disabled message inserted directly (the preference guard still holds)', async () => {
    await expect(
      database.db.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
         VALUES (gen_random_uuid(), $1, $2, 'smtp', '{}'::jsonb, 'test')`,
        [TEMPLATE_TEST_NOTIFICATION, bob],
      ),
    ).rejects.toThrow(/notification is not enabled/);
  });

  it('computes the same dedupe hash as the trigger that covers other writers', async () => {
    const [id] = (await enq.enqueueMany([req(alice, 'h1')]))[0];
    const row = (
      await database.db.query<{ dedupe_hash: string; payload: unknown; created_at: Date }>(
        `SELECT dedupe_hash, payload, created_at FROM notification_messages WHERE id = $1`,
        [id],
      )
    ).rows[0];
    expect(row.dedupe_hash).toMatch(/^[0-9a-f]{32}$/);
    // Another writer inserts the same content without a hash: the trigger computes the same one, so
    // the unique index refuses it as a duplicate.
    await expect(
      database.db.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by, created_at)
         SELECT gen_random_uuid(), notification_template_id, user_id, method, payload, 'other', created_at
         FROM notification_messages WHERE id = $1`,
        [id],
      ),
    ).rejects.toThrow(/dedupe_hash/);
    // Changing a hashed column recomputes it.
    const changed = await database.db.query<{ dedupe_hash: string }>(
      `UPDATE notification_messages SET payload = payload || '{"x": 1}'::jsonb WHERE id = $1 RETURNING dedupe_hash`,
      [id],
    );
    expect(changed.rows[0].dedupe_hash).not.toBe(row.dedupe_hash);
  });

  it('fails the batch for an unknown template', async () => {
    await expect(
      enq.enqueueMany([req(alice, 'x'), { ...req(alice, 'y'), templateId: '00000000-0000-4000-8000-000000000000' }]),
    ).rejects.toBeInstanceOf(UnknownTemplateError);
  });
});
