import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import {
  TEMPLATE_USER_ACCOUNT_CREATED,
  TEMPLATE_USER_ACCOUNT_DELETED,
  TEMPLATE_USER_ACCOUNT_SUSPENDED,
  TEMPLATE_YOUR_ACCOUNT_ACTIVATED,
  TEMPLATE_YOUR_ACCOUNT_SUSPENDED,
} from '../../src/notifications/templates/catalogue.js';

describeEachEngine('user account notifications', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let ownerId: string;
  const messages = async (templateId: string) =>
    (
      await server.db.query<{ user_id: string; labels: Record<string, string>; method: string }>(
        `SELECT user_id, payload->'labels' AS labels, method::text AS method FROM notification_messages
         WHERE notification_template_id = $1 AND method = 'inbox' ORDER BY created_at`,
        [templateId],
      )
    ).rows;

  beforeAll(async () => {
    server = await startTestServer(engine);
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterAll(async () => server?.stop());

  it('tells owners and user admins about new, suspended, activated and deleted accounts, and the user about their own', async () => {
    const admin = await createUser(owner, ['user-admin'], { name: 'Una Admin' });
    const created = await messages(TEMPLATE_USER_ACCOUNT_CREATED);
    // The owner hears of the user admin's account; the new account is never told of itself.
    expect(created).toEqual([
      { user_id: ownerId, method: 'inbox', labels: { created_account_name: admin.username, created_account_user_name: 'Una Admin', initiator: 'Ada Admin' } },
    ]);
    const bob = await createUser(owner, [], { name: 'Bob' });
    expect((await messages(TEMPLATE_USER_ACCOUNT_CREATED)).filter((m) => m.labels.created_account_name === bob.username).map((m) => m.user_id).sort()).toEqual(
      [ownerId, admin.id].sort(),
    );
    expect((await admin.api.put(`/users/${bob.id}/status/suspend`)).status).toBe(200);
    const suspended = await messages(TEMPLATE_USER_ACCOUNT_SUSPENDED);
    expect(suspended.map((m) => m.user_id).sort()).toEqual([ownerId, admin.id].sort());
    expect(suspended[0].labels).toEqual({ suspended_account_name: bob.username, suspended_account_user_name: 'Bob', initiator: 'Una Admin' });
    expect((await messages(TEMPLATE_YOUR_ACCOUNT_SUSPENDED)).map((m) => m.user_id)).toEqual([bob.id]);
    await owner.put(`/users/${bob.id}/status/activate`);
    expect((await messages(TEMPLATE_YOUR_ACCOUNT_ACTIVATED)).map((m) => m.user_id)).toEqual([bob.id]);
    await owner.delete(`/users/${bob.id}`);
    const deleted = await messages(TEMPLATE_USER_ACCOUNT_DELETED);
    expect(deleted.map((m) => m.user_id).sort()).toEqual([ownerId, admin.id].sort());
    expect(deleted[0].labels.initiator).toBe('Ada Admin');
  });
});
