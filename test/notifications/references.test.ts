import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import type { Queryable } from '../../src/db/database.js';

// The references of notification_messages (to users and templates) are checked once per statement
// (0161_message_reference_checks.sql) instead of by per-row foreign keys: the same rules hold, also against
// a concurrent delete (the insert locks the parent rows FOR KEY SHARE), whatever the isolation level and
// the size of the statement.

describeEachEngine('notification_messages references', (engine) => {
  let database: TestDatabase;
  let alice: string;
  beforeAll(async () => {
    database = await freshDatabase(engine);
    alice = (
      await database.db.query<{ id: string }>(
        `INSERT INTO users (email, username, name, hashed_password) VALUES ('alice@example.com', 'alice', 'Alice', '\\x') RETURNING id`,
      )
    ).rows[0].id;
  });
  afterAll(async () => database?.drop());

  const insert = (userId: string, templateId: string, n = 1) =>
    database.db.query(
      `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
       SELECT gen_random_uuid(), $1, $2, 'smtp', jsonb_build_object('i', i), 'test' FROM generate_series(1, $3::int) AS i`,
      [templateId, userId, n],
    );

  it('refuses rows naming a user or a template that does not exist, the whole statement', async () => {
    const ghost = '00000000-0000-4000-8000-000000000001';
    await expect(insert(ghost, TEMPLATE_TEST_NOTIFICATION)).rejects.toMatchObject({ code: '23503' });
    await expect(insert(alice, ghost)).rejects.toThrow(/foreign key/);
    await expect(
      database.db.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
         VALUES (gen_random_uuid(), $1, $2, 'smtp', '{"a": 1}', 'test'), (gen_random_uuid(), $1, $3, 'smtp', '{"a": 2}', 'test')`,
        [TEMPLATE_TEST_NOTIFICATION, alice, ghost],
      ),
    ).rejects.toMatchObject({ code: '23503' });
    const n = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages`);
    expect(n.rows[0].n).toBe(0);
    // Re-pointing a row at a user that does not exist is refused too.
    await insert(alice, TEMPLATE_TEST_NOTIFICATION);
    await expect(database.db.query(`UPDATE notification_messages SET user_id = $1`, [ghost])).rejects.toMatchObject({ code: '23503' });
  });

  it('deletes the messages of a deleted user and refuses to change a referenced id', async () => {
    const bob = (
      await database.db.query<{ id: string }>(
        `INSERT INTO users (email, username, name, hashed_password) VALUES ('bob@example.com', 'bob', 'Bob', '\\x') RETURNING id`,
      )
    ).rows[0].id;
    await insert(bob, TEMPLATE_TEST_NOTIFICATION, 3);
    await expect(database.db.query(`UPDATE users SET id = gen_random_uuid() WHERE id = $1`, [bob])).rejects.toMatchObject({ code: '23503' });
    await database.db.query(`DELETE FROM users WHERE id = $1`, [bob]);
    const left = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1`, [bob]);
    expect(left.rows[0].n).toBe(0);
  });

  const lockWaits = async () =>
    (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rows[0].n;
  /**
   * Runs `step` in a transaction and keeps that transaction open until `release()`; `ready`
   * resolves once the step has run, `done` once the transaction has committed.
   */
  const holdOpen = (step: (q: Queryable) => Promise<unknown>) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let stepped!: () => void;
    const ready = new Promise<void>((r) => (stepped = r));
    const done = database.db.tx(async (q) => {
      await step(q);
      stepped();
      await held;
    });
    return { ready, done, release };
  };

  it('a user deleted while a message for them is being inserted waits for it, then takes the message along', async () => {
    if (engine !== 'postgres') return; // one session on the embedded engine: nothing runs concurrently
    const carol = (
      await database.db.query<{ id: string }>(
        `INSERT INTO users (email, username, name, hashed_password) VALUES ('carol@example.com', 'carol', 'Carol', '\\x') RETURNING id`,
      )
    ).rows[0].id;
    const tx = holdOpen(async (q) => {
      await q.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
         VALUES (gen_random_uuid(), $1, $2, 'smtp', '{"c": 1}', 'test')`,
        [TEMPLATE_TEST_NOTIFICATION, carol],
      );
    });
    await tx.ready;
    const del = database.db.query(`DELETE FROM users WHERE id = $1`, [carol]);
    // The delete waits on the insert's KEY SHARE lock of the user row.
    await expect.poll(lockWaits).toBe(1);
    tx.release();
    await tx.done;
    await del;
    const left = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1`, [carol]);
    expect(left.rows[0].n).toBe(0);
  });

  const newUser = async (name: string) =>
    (
      await database.db.query<{ id: string }>(
        `INSERT INTO users (email, username, name, hashed_password) VALUES ($1 || '@example.com', $1, $1, '\\x') RETURNING id`,
        [name],
      )
    ).rows[0].id;

  // A statement of more than 16 rows takes the trigger's batch path (0170), a smaller one 0161's queries: both, each rule.
  for (const repeat of [1, 10]) {
    it(`checks a statement of several templates and users pair by pair, ${repeat} row(s) per pair: one unknown or opted-out pair refuses it all`, async () => {
      const frank = await newUser(`frank${repeat}`);
      const [other] = (
        await database.db.query<{ id: string }>(`SELECT id FROM notification_templates WHERE id <> $1 AND NOT critical AND enabled_by_default LIMIT 1`, [TEMPLATE_TEST_NOTIFICATION])
      ).rows;
      const [critical] = (await database.db.query<{ id: string }>(`SELECT id FROM notification_templates WHERE critical LIMIT 1`)).rows;
      const rows = (pairs: [string, string][]) => {
        const all = pairs.flatMap((x) => Array.from({ length: repeat }, () => x));
        return database.db.query(
          `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
           SELECT gen_random_uuid(), t, u, 'smtp', jsonb_build_object('k', k, 'r', random()), 'test'
           FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS p(t, u, k)`,
          [all.map((x) => x[0]), all.map((x) => x[1])],
        );
      };
      const count = async () =>
        (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = ANY($1::uuid[])`, [[alice, frank]])).rows[0].n;
      const before = await count();
      const ghost = '00000000-0000-4000-8000-000000000002';
      // Two templates, two users: accepted.
      await rows([[TEMPLATE_TEST_NOTIFICATION, alice], [other.id, frank], [TEMPLATE_TEST_NOTIFICATION, frank], [other.id, frank], [TEMPLATE_TEST_NOTIFICATION, alice]]);
      expect(await count()).toBe(before + 5 * repeat);
      // One unknown template or user among known ones refuses the statement, also with one template or one user.
      await expect(rows([[TEMPLATE_TEST_NOTIFICATION, alice], [ghost, frank], [other.id, frank]])).rejects.toMatchObject({ code: '23503' });
      await expect(rows([[TEMPLATE_TEST_NOTIFICATION, alice], [other.id, ghost], [other.id, frank]])).rejects.toMatchObject({ code: '23503' });
      await expect(rows([[TEMPLATE_TEST_NOTIFICATION, alice], [TEMPLATE_TEST_NOTIFICATION, ghost]])).rejects.toMatchObject({ code: '23503' });
      await expect(rows([[TEMPLATE_TEST_NOTIFICATION, frank], [ghost, frank]])).rejects.toMatchObject({ code: '23503' });
      // Frank switches one template off: a statement with that pair is refused (many templates and users, one
      // template, one user), the other pairs alone pass.
      await database.db.query(`INSERT INTO notification_preferences (user_id, notification_template_id, disabled) VALUES ($1, $2, true)`, [frank, other.id]);
      await expect(rows([[TEMPLATE_TEST_NOTIFICATION, alice], [TEMPLATE_TEST_NOTIFICATION, frank], [other.id, frank]])).rejects.toThrow(/not enabled/);
      await expect(rows([[other.id, alice], [other.id, frank]])).rejects.toThrow(/not enabled/);
      await expect(rows([[TEMPLATE_TEST_NOTIFICATION, frank], [other.id, frank]])).rejects.toThrow(/not enabled/);
      await expect(rows([[other.id, alice], [TEMPLATE_TEST_NOTIFICATION, frank]])).resolves.toBeDefined();
      // A critical template goes through whatever the stored preference.
      await database.db.query(`INSERT INTO notification_preferences (user_id, notification_template_id, disabled) VALUES ($1, $2, true)`, [frank, critical.id]);
      await expect(rows([[critical.id, frank], [other.id, alice]])).resolves.toBeDefined();
      await expect(rows([[critical.id, frank], [TEMPLATE_TEST_NOTIFICATION, frank]])).resolves.toBeDefined();
      expect(await count()).toBe(before + 11 * repeat);
      // An insert of no rows passes the check.
      await expect(rows([])).resolves.toBeDefined();
    });
  }

  it('a message inserted while its user is being deleted waits for the delete, then is refused', async () => {
    if (engine !== 'postgres') return;
    const dave = await newUser('dave');
    const tx = holdOpen(async (q) => {
      await q.query(`DELETE FROM users WHERE id = $1`, [dave]);
    });
    await tx.ready;
    const ins = insert(dave, TEMPLATE_TEST_NOTIFICATION).then(
      () => 'inserted',
      (err: { code?: string }) => err.code,
    );
    await expect.poll(lockWaits).toBe(1);
    tx.release();
    await tx.done;
    expect(await ins).toBe('23503');
    const left = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1`, [dave]);
    expect(left.rows[0].n).toBe(0);
  });

  it('a batch naming many users still holds off a concurrent delete of one of them', async () => {
    if (engine !== 'postgres') return;
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => newUser(`many${i}`)));
    const tx = holdOpen(async (q) => {
      await q.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
         SELECT gen_random_uuid(), $1, u, 'smtp', '{"m": 1}', 'test' FROM unnest($2::uuid[]) AS u`,
        [TEMPLATE_TEST_NOTIFICATION, many],
      );
    });
    await tx.ready;
    const del = database.db.query(`DELETE FROM users WHERE id = $1`, [many[7]]);
    await expect.poll(lockWaits).toBe(1);
    tx.release();
    await tx.done;
    await del;
    const left = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = ANY($1::uuid[])`, [many]);
    expect(left.rows[0].n).toBe(19);
  });

  it('an insert in a REPEATABLE READ transaction still holds off a concurrent delete of its user', async () => {
    if (engine !== 'postgres') return;
    const erin = await newUser('erin');
    const tx = holdOpen(async (q) => {
      await q.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
      await q.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by)
         VALUES (gen_random_uuid(), $1, $2, 'smtp', '{"e": 1}', 'test')`,
        [TEMPLATE_TEST_NOTIFICATION, erin],
      );
    });
    await tx.ready;
    const del = database.db.query(`DELETE FROM users WHERE id = $1`, [erin]);
    await expect.poll(lockWaits).toBe(1);
    tx.release();
    await tx.done;
    await del;
    const left = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1`, [erin]);
    expect(left.rows[0].n).toBe(0);
  });
});
