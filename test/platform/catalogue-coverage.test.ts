// Every template in the catalogue must be raised by at least one test that goes through the real
// event (an API call, a build, a tick), not by enqueuing it directly. RAISED_BY names that test;
// this file checks the registry against the migrated database's catalogue and against the test
// sources: the named file must contain the named test and assert on the template, and must never
// hand the template to an enqueuer itself. It is a static check of the registry (it does not
// observe the other files' runs); keep an entry next to the test that earns it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cat from '../../src/notifications/templates/catalogue.js';
import { freshDatabase, type TestDatabase } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type TestServer } from '../support/server.js';
import { messages } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** template constant → [test file, test title (a substring of its it(...) title)]. */
const RAISED_BY: Record<string, [string, string]> = {
  TEMPLATE_WORKSPACE_DELETED: ['test/platform/lifecycle.test.ts', 'dormancy → marked for deletion → autodelete'],
  TEMPLATE_WORKSPACE_AUTOBUILD_FAILED: ['test/platform/lifecycle.test.ts', 'a failing automatic build sends Autobuild Failed'],
  TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED: ['test/platform/workspaces.test.ts', 'a failed manual build notifies template admins'],
  TEMPLATE_WORKSPACE_DORMANT: ['test/platform/lifecycle.test.ts', 'dormancy → marked for deletion → autodelete'],
  TEMPLATE_WORKSPACE_MARKED_FOR_DELETION: ['test/platform/lifecycle.test.ts', 'dormancy → marked for deletion → autodelete'],
  TEMPLATE_WORKSPACE_AUTO_UPDATED: ['test/platform/lifecycle.test.ts', 'automatic updates: the autostart uses the active version'],
  TEMPLATE_WORKSPACE_CREATED: ['test/platform/workspaces.test.ts', 'Workspace Created goes to owners and template admins'],
  TEMPLATE_WORKSPACE_MANUALLY_UPDATED: ['test/platform/workspaces.test.ts', 'Workspace Manually Updated: explicit new version only'],
  TEMPLATE_WORKSPACE_OUT_OF_MEMORY: ['test/platform/lifecycle.test.ts', 'resource monitors: Out Of Memory / Out Of Disk'],
  TEMPLATE_WORKSPACE_OUT_OF_DISK: ['test/platform/lifecycle.test.ts', 'resource monitors: Out Of Memory / Out Of Disk'],
  TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER: ['test/platform/lifecycle.test.ts', 'the reminder is sent once per deadline'],
  TEMPLATE_USER_ACCOUNT_CREATED: ['test/api/user-events.test.ts', 'tells owners and user admins about new'],
  TEMPLATE_USER_ACCOUNT_DELETED: ['test/api/user-events.test.ts', 'tells owners and user admins about new'],
  TEMPLATE_USER_ACCOUNT_SUSPENDED: ['test/api/user-events.test.ts', 'tells owners and user admins about new'],
  TEMPLATE_USER_ACCOUNT_ACTIVATED: ['test/platform/catalogue-coverage.test.ts', 'activating a suspended account sends User account activated'],
  TEMPLATE_YOUR_ACCOUNT_SUSPENDED: ['test/api/user-events.test.ts', 'tells owners and user admins about new'],
  TEMPLATE_YOUR_ACCOUNT_ACTIVATED: ['test/api/user-events.test.ts', 'tells owners and user admins about new'],
  TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE: ['test/auth/otp.test.ts', 'stores only a hash with a 20 minute expiry'],
  TEMPLATE_TEMPLATE_DELETED: ['test/platform/workspaces.test.ts', 'deletion notifies admins'],
  TEMPLATE_TEMPLATE_DEPRECATED: ['test/platform/workspaces.test.ts', 'deprecation notifies workspace owners'],
  TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT: ['test/platform/report.test.ts', 'a week later each template admin gets one report'],
  TEMPLATE_WORKSPACE_RESOURCE_REPLACED: ['test/platform/prebuilds-replacements.test.ts', 'a claim whose plan replaces resources'],
  TEMPLATE_NOTIFICATION_DIGEST: ['test/noise/rules.test.ts', 'an hourly digest: 50 events in an hour'],
  PREBUILD_FAILURE_LIMIT_REACHED: ['test/platform/prebuilds-limit.test.ts', 'stops a preset after exactly N consecutive failures'],
  TEMPLATE_TASK_WORKING: ['test/platform/tasks.test.ts', 'idle → working: Task Working'],
  TEMPLATE_TASK_IDLE: ['test/platform/tasks.test.ts', 'first idle: Task Idle to the owner'],
  TEMPLATE_TASK_COMPLETED: ['test/platform/tasks.test.ts', 'complete and failure: Task Completed / Task Failed'],
  TEMPLATE_TASK_FAILED: ['test/platform/tasks.test.ts', 'complete and failure: Task Completed / Task Failed'],
  TEMPLATE_TASK_PAUSED: ['test/platform/lifecycle.test.ts', 'Task Paused (manual / auto) and Task Resumed'],
  TEMPLATE_TASK_RESUMED: ['test/platform/lifecycle.test.ts', 'Task Paused (manual / auto) and Task Resumed'],
  TEMPLATE_TEST_NOTIFICATION: ['test/notifications/roundtrip.test.ts', 'delivers a test notification to the webhook and the inbox'],
  TEMPLATE_CUSTOM_NOTIFICATION: ['test/inbox/custom.test.ts', 'delivers to the caller through the deployment method and the inbox'],
};

const constantOf = (id: string) =>
  Object.entries(cat).find(([k, v]) => v === id && /^(TEMPLATE_|PREBUILD_)/.test(k) && k !== 'TEMPLATE_PREBUILD_FAILURE_LIMIT_REACHED')?.[0];

describe('every catalogue template is raised by a real event in some test', () => {
  let t: TestDatabase;
  let ids: string[] = [];
  beforeAll(async () => {
    t = await freshDatabase('pglite');
    ids = (await t.db.query<{ id: string }>(`SELECT id::text AS id FROM notification_templates ORDER BY name`)).rows.map((r) => r.id);
  });
  afterAll(async () => t?.drop());

  it('the registry names a test for every template in the database', () => {
    const missing = ids.filter((id) => !RAISED_BY[constantOf(id) ?? id]).map((id) => cat.catalogueEntry(id)?.name ?? id);
    expect(missing).toEqual([]);
    expect(ids.length).toBe(Object.keys(RAISED_BY).length);
  });

  it('each named test exists, asserts on its template, and never enqueues it directly', () => {
    const problems: string[] = [];
    for (const [name, [file, title]] of Object.entries(RAISED_BY)) {
      const path = ROOT + file;
      if (!existsSync(path)) {
        problems.push(`${name}: ${file} does not exist`);
        continue;
      }
      const src = readFileSync(path, 'utf8');
      if (!new RegExp(`\\bit\\(\\s*['"\`][^'"\`]*${title.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`).test(src)) problems.push(`${name}: no test "${title}" in ${file}`);
      const id = (cat as Record<string, unknown>)[name] as string;
      if (!src.includes(name) && !src.includes(id)) problems.push(`${name}: ${file} never mentions it`);
      for (const line of src.split('\n')) {
        if (/enqueue(Many)?\s*\(/.test(line) && (line.includes(name) || line.includes(id))) problems.push(`${name}: ${file} enqueues it directly`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('User account activated', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => server?.stop());

  it('activating a suspended account sends User account activated to the owners', async () => {
    const { api: owner, userId } = await setupOwner(server.api);
    const bob = await createUser(owner);
    expect((await owner.put(`/users/${bob.id}/status/suspend`)).status).toBe(200);
    expect((await owner.put(`/users/${bob.id}/status/activate`)).status).toBe(200);
    const sent = await messages(server.db, cat.TEMPLATE_USER_ACCOUNT_ACTIVATED);
    expect(sent.map((m) => m.user_id)).toEqual([userId]);
    expect(sent[0].payload.labels.activated_account_name).toBe(bob.username);
  });
});
