import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT } from '../../src/notifications/templates/catalogue.js';
import type { ReportGenerator } from '../../src/platform/reports/generator.js';
import { createTemplate, createWorkspace, messages, PLAIN_DEFINITION, pushVersion, waitForBuild } from './helpers.js';

const DAY = 24 * 3600_000;

describeEachEngine('weekly failed-builds report', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admin: { api: ApiHelper; id: string };
  // Builds complete at the database's time, so the injected clock starts at the real time.
  let now = new Date();
  const clock = () => new Date(now);
  const config = { lifecycle: { tickInterval: 0, reportInterval: 0 } };
  const generator = (s: TestServer) => s.services.reports as ReportGenerator;

  beforeAll(async () => {
    server = await startTestServer(engine, { now: clock, config });
    owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
  });
  afterAll(async () => server?.stop());

  it('first run only starts the period; a week later each template admin gets one report; a restart does not resend', async () => {
    expect(await generator(server).runOnce()).toMatchObject({ leader: true, initialized: true, sent: 0 });
    const { templateId } = await createTemplate(admin.api, 'flaky');
    const bad = await pushVersion(admin.api, templateId, { name: 'broken', definition: { ...PLAIN_DEFINITION, error: 'boom', fail_on: ['start'] } });
    const { workspace } = await createWorkspace(owner, { name: 'ok-one', template_id: templateId });
    for (let i = 0; i < 12; i++) {
      await owner.post(`/workspaces/${workspace.id}/builds`, { transition: 'stop' });
      await waitForBuild(owner, workspace.id);
      await owner.post(`/workspaces/${workspace.id}/builds`, { transition: 'start', template_version_id: bad });
      await waitForBuild(owner, workspace.id);
    }
    now = new Date(now.getTime() + 6 * DAY);
    expect((await generator(server).runOnce()).sent).toBe(0); // not a week yet
    now = new Date(now.getTime() + DAY + 60_000);
    expect((await generator(server).runOnce()).sent).toBe(2); // the owner and the template admin
    const sent = await messages(server.db, TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT);
    expect(sent.map((m) => m.user_id).sort()).toEqual([admin.id, (await owner.get('/users/me')).body.id].sort());
    const data = sent[0].payload.data as any;
    expect(data.report_frequency).toBe('week');
    expect(data.templates).toHaveLength(1);
    expect(data.templates[0]).toMatchObject({ name: 'flaky', display_name: 'flaky', failed_builds: 12, total_builds: 25 });
    expect(data.templates[0].versions).toHaveLength(1);
    expect(data.templates[0].versions[0]).toMatchObject({ template_version_name: 'broken', failed_count: 12 });
    expect(data.templates[0].versions[0].failed_builds).toHaveLength(10);
    expect(data.templates[0].versions[0].failed_builds[0]).toMatchObject({ workspace_name: 'ok-one', workspace_id: workspace.id });
    expect(sent[0].created_by).toBe('report_generator');

    // Again in the same period, and from a restarted server on the same database: nothing.
    expect((await generator(server).runOnce()).sent).toBe(0);
    const restarted = await startTestServer(engine, { database: server.database, now: clock, config });
    try {
      expect(await generator(restarted).runOnce()).toMatchObject({ leader: true, initialized: false, sent: 0 });
    } finally {
      await restarted.stop();
    }
    expect(await messages(server.db, TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT)).toHaveLength(2);
    // Next week without failures: no report.
    now = new Date(now.getTime() + 7 * DAY + 60_000);
    expect((await generator(server).runOnce()).sent).toBe(0);
  });
});
