import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import {
  TEMPLATE_TASK_PAUSED,
  TEMPLATE_TASK_RESUMED,
  TEMPLATE_WORKSPACE_AUTO_UPDATED,
  TEMPLATE_WORKSPACE_AUTOBUILD_FAILED,
  TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER,
  TEMPLATE_WORKSPACE_DELETED,
  TEMPLATE_WORKSPACE_DORMANT,
  TEMPLATE_WORKSPACE_MANUALLY_UPDATED,
  TEMPLATE_WORKSPACE_MARKED_FOR_DELETION,
  TEMPLATE_WORKSPACE_OUT_OF_DISK,
  TEMPLATE_WORKSPACE_OUT_OF_MEMORY,
} from '../../src/notifications/templates/catalogue.js';
import type { LifecycleExecutor, TickResult } from '../../src/platform/lifecycle/executor.js';
import { AI_DEFINITION, createTemplate, createWorkspace, messages, optIn, PLAIN_DEFINITION, pushVersion, waitForBuild } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describeEachEngine('lifecycle executor, schedules and resource monitors', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admin: { api: ApiHelper; id: string; username: string };
  // The injected clock: every tick, build time, deadline and notification reads it.
  let now = new Date('2026-03-27T12:00:00Z');
  const clock = () => new Date(now);
  const at = (iso: string | number) => (now = new Date(iso));
  const executor = () => server.services.lifecycle as LifecycleExecutor;
  const tick = (): Promise<TickResult> => executor().runOnce();
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer(engine, { now: clock, config: { lifecycle: { tickInterval: 0, reportInterval: 0 } } });
    owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
    await optIn(admin.api, TEMPLATE_WORKSPACE_MANUALLY_UPDATED);
  });
  afterAll(async () => server?.stop());

  async function stopped(templateId: string, extra: Record<string, unknown> = {}) {
    const { workspace } = await createWorkspace(owner, { name: `w${++n}`, template_id: templateId, ...extra });
    expect((await owner.post(`/workspaces/${workspace.id}/builds`, { transition: 'stop' })).status).toBe(201);
    return waitForBuild(owner, workspace.id);
  }

  it('autostarts at the schedule in its time zone, across a DST change', async () => {
    at('2026-03-27T12:00:00Z'); // Friday; Europe/London moves to BST on Sunday 29 March
    const { templateId } = await createTemplate(admin.api, `dst${++n}`);
    const w = await stopped(templateId);
    const bad = await owner.put(`/workspaces/${w.id}/autostart`, { schedule: 'CRON_TZ=Mars/Olympus 30 9 * * *' });
    expect(bad.status).toBe(400);
    expect(bad.body.validations[0].field).toBe('schedule');
    expect((await owner.put(`/workspaces/${w.id}/autostart`, { schedule: 'CRON_TZ=Europe/London 30 9 * * *' })).status).toBe(204);

    at('2026-03-28T09:29:00Z');
    expect((await tick()).transitions[w.id]).toBeUndefined();
    at('2026-03-28T09:30:00Z'); // 09:30 GMT
    expect((await tick()).transitions[w.id]).toBe('start');
    let b = (await waitForBuild(owner, w.id)).latest_build;
    expect(b).toMatchObject({ transition: 'start', reason: 'autostart', status: 'running' });

    at('2026-03-28T12:00:00Z');
    await owner.post(`/workspaces/${w.id}/builds`, { transition: 'stop' });
    await waitForBuild(owner, w.id);
    at('2026-03-29T09:30:00Z'); // catches up on a missed start: the first tick after the schedule time starts it
    expect((await tick()).transitions[w.id]).toBe('start');
    expect((await waitForBuild(owner, w.id)).latest_build.reason).toBe('autostart');

    // Precisely: after a stop on Sunday noon, Monday's start is due at 08:30Z (BST), not 09:30Z.
    at('2026-03-29T12:00:00Z');
    await owner.post(`/workspaces/${w.id}/builds`, { transition: 'stop' });
    await waitForBuild(owner, w.id);
    at('2026-03-30T08:29:00Z');
    expect((await tick()).transitions[w.id]).toBeUndefined();
    at('2026-03-30T08:30:00Z');
    expect((await tick()).transitions[w.id]).toBe('start');
    await waitForBuild(owner, w.id);
  });

  it('stops at the deadline; activity bumps it; the reminder is sent once per deadline', async () => {
    at('2026-04-01T10:00:00Z');
    const { templateId } = await createTemplate(admin.api, `ttl${++n}`);
    expect((await admin.api.patch(`/templates/${templateId}`, { time_til_autostop_notify_ms: 15 * MIN })).status).toBe(200);
    const { workspace, tokens } = await createWorkspace(owner, { name: `t${++n}`, template_id: templateId, ttl_ms: HOUR });
    const w0 = await waitForBuild(owner, workspace.id);
    expect(w0.latest_build.deadline).toBe('2026-04-01T11:00:00.000Z');

    at('2026-04-01T10:50:00Z');
    const stats = await server.api.as(undefined).call('POST', '/workspaceagents/me/report-stats', { connection_count: 1 }, { 'Coder-Session-Token': tokens.get('main')! });
    expect(stats.status, JSON.stringify(stats.body)).toBe(200);
    expect((await owner.get(`/workspaces/${workspace.id}`)).body.latest_build.deadline).toBe('2026-04-01T11:50:00.000Z');

    at('2026-04-01T11:10:00Z');
    expect((await tick()).transitions[workspace.id]).toBeUndefined();
    at('2026-04-01T11:40:00Z'); // inside the 15-minute window, user idle for 50 minutes
    expect((await tick()).reminded).toContain(workspace.id);
    at('2026-04-01T11:41:00Z');
    expect((await tick()).reminded).not.toContain(workspace.id);
    const reminders = (await messages(server.db, TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER)).filter((m) => m.targets?.[0] === workspace.id);
    expect(reminders).toHaveLength(1);
    expect(reminders[0].payload.labels).toEqual({ workspace: workspace.name, timeTilShutdown: '10 minutes from now' });

    at('2026-04-01T11:50:00Z');
    expect((await tick()).transitions[workspace.id]).toBe('stop');
    expect((await waitForBuild(owner, workspace.id)).latest_build).toMatchObject({ transition: 'stop', reason: 'autostop' });
  });

  it('automatic updates: the autostart uses the active version and sends Updated Automatically, not Manually Updated', async () => {
    at('2026-04-02T08:00:00Z');
    const { templateId } = await createTemplate(admin.api, `au${++n}`);
    const w = await stopped(templateId, { autostart_schedule: 'CRON_TZ=UTC 0 9 * * *', automatic_updates: 'always' });
    const v2 = await pushVersion(admin.api, templateId, { name: 'v2', message: 'security fix', definition: PLAIN_DEFINITION });
    expect((await admin.api.patch(`/templates/${templateId}/versions`, { id: v2 })).status).toBe(200);
    at('2026-04-02T09:00:00Z');
    expect((await tick()).transitions[w.id]).toBe('start');
    const after = await waitForBuild(owner, w.id);
    expect(after.latest_build.template_version_id).toBe(v2);
    const sent = (await messages(server.db, TEMPLATE_WORKSPACE_AUTO_UPDATED)).filter((m) => m.targets?.[0] === w.id);
    expect(sent).toHaveLength(1);
    expect(sent[0].created_by).toBe('autobuild');
    expect(sent[0].payload.labels).toEqual({ name: w.name, initiator: 'autobuild', reason: 'autostart', template_version_name: 'v2', template_version_message: 'security fix' });
    expect((await messages(server.db, TEMPLATE_WORKSPACE_MANUALLY_UPDATED)).filter((m) => m.targets?.[0] === w.id)).toHaveLength(0);
    // The same workspace with automatic updates off keeps its version.
    expect((await owner.put(`/workspaces/${w.id}/autoupdates`, { automatic_updates: 'sometimes' })).status).toBe(400);
  });

  it('a failing automatic build sends Autobuild Failed with the build reason', async () => {
    at('2026-04-03T08:00:00Z');
    const { templateId } = await createTemplate(admin.api, `fail${++n}`);
    const w = await stopped(templateId, { autostart_schedule: '0 9 * * *', automatic_updates: 'always' });
    const bad = await pushVersion(admin.api, templateId, { name: 'broken', definition: { ...PLAIN_DEFINITION, error: 'boom', fail_on: ['start'] } });
    await admin.api.patch(`/templates/${templateId}/versions`, { id: bad });
    at('2026-04-03T09:00:00Z');
    expect((await tick()).transitions[w.id]).toBe('start');
    expect((await waitForBuild(owner, w.id)).latest_build).toMatchObject({ status: 'failed', reason: 'autostart' });
    const sent = (await messages(server.db, TEMPLATE_WORKSPACE_AUTOBUILD_FAILED)).filter((m) => m.targets?.[0] === w.id);
    expect(sent.map((m) => m.payload.labels)).toEqual([{ name: w.name, reason: 'autostart' }]);
    // A failed workspace is not autostarted again.
    at('2026-04-04T09:00:00Z');
    expect((await tick()).transitions[w.id]).toBeUndefined();
  });

  it('dormancy → marked for deletion → autodelete, each notification once with its labels', async () => {
    at('2026-05-01T00:00:00Z');
    const { templateId } = await createTemplate(admin.api, `dorm${++n}`);
    expect((await admin.api.patch(`/templates/${templateId}`, { time_til_dormant_ms: DAY })).body).toMatchObject({ time_til_dormant_ms: DAY, time_til_dormant_autodelete_ms: 0 });
    const { workspace: w } = await createWorkspace(owner, { name: `d${++n}`, template_id: templateId });
    at('2026-05-02T00:00:00Z');
    expect((await tick()).dormant).not.toContain(w.id); // exactly at the threshold: not yet
    at('2026-05-02T00:01:00Z');
    const t1 = await tick();
    expect(t1.dormant).toContain(w.id);
    expect(t1.transitions[w.id]).toBe('stop');
    const stoppedW = await waitForBuild(owner, w.id);
    expect(stoppedW.latest_build.reason).toBe('dormancy');
    expect(stoppedW.dormant_at).toBe('2026-05-02T00:01:00.000Z');
    at('2026-05-02T00:02:00Z');
    expect((await tick()).dormant).not.toContain(w.id);
    const dormant = (await messages(server.db, TEMPLATE_WORKSPACE_DORMANT)).filter((m) => m.targets?.[0] === w.id);
    expect(dormant.map((m) => m.payload.labels)).toEqual([{ name: w.name, reason: 'inactivity exceeded the dormancy threshold' }]);
    expect(await messages(server.db, TEMPLATE_WORKSPACE_MARKED_FOR_DELETION)).toHaveLength(0);

    // The template gets an auto-delete period: the dormant workspace is marked for deletion.
    at('2026-05-02T01:00:00Z');
    expect((await admin.api.patch(`/templates/${templateId}`, { time_til_dormant_autodelete_ms: 2 * DAY })).status).toBe(200);
    const marked = (await messages(server.db, TEMPLATE_WORKSPACE_MARKED_FOR_DELETION)).filter((m) => m.targets?.[0] === w.id);
    expect(marked.map((m) => m.payload.labels)).toEqual([
      { name: w.name, initiator: 'autobuild', reason: "an update to the template's dormancy", timeTilDormant: '1 day from now' },
    ]);
    expect((await owner.get(`/workspaces/${w.id}`)).body.deleting_at).toBe('2026-05-04T00:01:00.000Z');

    at('2026-05-04T00:01:00Z');
    expect((await tick()).transitions[w.id]).toBeUndefined();
    at('2026-05-04T00:02:00Z');
    expect((await tick()).transitions[w.id]).toBe('delete');
    const gone = await waitForBuild(owner, w.id);
    expect(gone.latest_build).toMatchObject({ transition: 'delete', reason: 'autodelete' });
    const deleted = (await messages(server.db, TEMPLATE_WORKSPACE_DELETED)).filter((m) => m.targets?.[0] === w.id);
    expect(deleted.map((m) => m.payload.labels)).toEqual([{ name: w.name, reason: 'autodeleted due to dormancy', initiator: 'autobuild' }]);

    // Turning auto-delete off clears deletion dates and marks nobody; a deleted workspace is not told.
    const before = (await messages(server.db, TEMPLATE_WORKSPACE_MARKED_FOR_DELETION)).length;
    await admin.api.patch(`/templates/${templateId}`, { time_til_dormant_autodelete_ms: 0 });
    await admin.api.patch(`/templates/${templateId}`, { time_til_dormant_autodelete_ms: DAY });
    expect((await messages(server.db, TEMPLATE_WORKSPACE_MARKED_FOR_DELETION)).length).toBe(before);
  });

  it('PUT /workspaces/{id}/dormant by an admin tells the owner; by the owner tells nobody; bad input is 400', async () => {
    at('2026-06-01T00:00:00Z');
    const member = await createUser(owner);
    const { templateId } = await createTemplate(admin.api, `hand${++n}`);
    const { workspace: w } = await createWorkspace(member.api, { name: `h${++n}`, template_id: templateId });
    expect((await member.api.put(`/workspaces/${w.id}/dormant`, { dormant: 'yes' })).status).toBe(400);
    const r = await owner.put(`/workspaces/${w.id}/dormant`, { dormant: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.dormant_at).toBe('2026-06-01T00:00:00.000Z');
    const sent = (await messages(server.db, TEMPLATE_WORKSPACE_DORMANT)).filter((m) => m.targets?.[0] === w.id);
    expect(sent.map((m) => m.payload.labels)).toEqual([{ name: w.name, reason: 'a admin request', initiator: 'Ada Admin' }]);
    expect((await member.api.put(`/workspaces/${w.id}/dormant`, { dormant: false })).body.dormant_at).toBeNull();
    expect((await member.api.put(`/workspaces/${w.id}/dormant`, { dormant: true })).status).toBe(200);
    expect((await messages(server.db, TEMPLATE_WORKSPACE_DORMANT)).filter((m) => m.targets?.[0] === w.id)).toHaveLength(1);
  });

  it('template schedule options round-trip and are validated', async () => {
    const { templateId } = await createTemplate(admin.api, `sched${++n}`);
    const body = {
      default_ttl_ms: 8 * HOUR,
      activity_bump_ms: 30 * MIN,
      autostart_requirement: { days_of_week: ['monday', 'friday'] },
      autostop_requirement: { days_of_week: ['sunday'], weeks: 2 },
      failure_ttl_ms: HOUR,
      require_active_version: true,
    };
    const r = await admin.api.patch(`/templates/${templateId}`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await owner.get(`/templates/${templateId}`)).body).toMatchObject(body);
    expect((await admin.api.patch(`/templates/${templateId}`, { default_ttl_ms: -1 })).status).toBe(400);
    const days = await admin.api.patch(`/templates/${templateId}`, { autostart_requirement: { days_of_week: ['funday'] } });
    expect(days.status).toBe(400);
    // A new workspace takes the template's default TTL.
    const { workspace } = await createWorkspace(owner, { name: `s${++n}`, template_id: templateId });
    expect(workspace.ttl_ms).toBe(8 * HOUR);
  });

  it('two replicas never run one tick twice', async () => {
    at('2026-07-01T08:00:00Z');
    const { templateId } = await createTemplate(admin.api, `rep${++n}`);
    const w = await stopped(templateId, { autostart_schedule: '0 9 * * *' });
    const second = await startTestServer(engine, { database: server.database, now: clock, config: { lifecycle: { tickInterval: 0, reportInterval: 0 } } });
    try {
      at('2026-07-01T09:00:30Z');
      const results = await Promise.all([tick(), (second.services.lifecycle as LifecycleExecutor).runOnce()]);
      expect(results.filter((r) => r.leader)).toHaveLength(1);
      expect(results.filter((r) => r.transitions[w.id] === 'start')).toHaveLength(1);
      // The same minute again, on either replica: already run.
      expect((await tick()).leader).toBe(false);
      expect((await (second.services.lifecycle as LifecycleExecutor).runOnce()).leader).toBe(false);
      const builds = await owner.get(`/workspaces/${w.id}/builds`);
      expect(builds.body.filter((b: { reason: string }) => b.reason === 'autostart')).toHaveLength(1);
      await waitForBuild(owner, w.id);
    } finally {
      await second.stop();
    }
  });

  it('resource monitors: Out Of Memory / Out Of Disk once per crossing, debounced', async () => {
    at('2026-08-01T00:00:00Z');
    const def = {
      resources: [{ name: 'dev', type: 'docker_container', agents: [{ name: 'main', resources_monitoring: { memory: { enabled: true, threshold: 80 }, volumes: [{ path: '/home', enabled: true, threshold: 90 }, { path: '/data', enabled: true, threshold: 50 }] } }] }],
    };
    const bad = await admin.api.post('/organizations/coder/templateversions', { definition: { resources: [{ name: 'x', type: 't', agents: [{ name: 'a', resources_monitoring: { memory: { threshold: 120 } } }] }] } });
    expect(bad.status).toBe(400);
    const { templateId } = await createTemplate(admin.api, `mon${++n}`, { definition: def });
    const { workspace: w, tokens } = await createWorkspace(owner, { name: `m${++n}`, template_id: templateId });
    const agent = server.api.as(undefined);
    const token = { 'Coder-Session-Token': tokens.get('main')! };
    const cfg = await agent.call('GET', '/workspaceagents/me/resources-monitoring', undefined, token);
    expect(cfg.body).toMatchObject({ config: { num_datapoints: 20, collection_interval_seconds: 10 }, memory: { enabled: true } });
    const push = (mem: number, home: number, data = 10) =>
      agent.call('POST', '/workspaceagents/me/resources-monitoring', {
        datapoints: Array.from({ length: 20 }, () => ({ memory: { used: mem, total: 100 }, volumes: [{ volume: '/home', used: home, total: 100 }, { volume: '/data', used: data, total: 100 }] })),
      }, token);
    const oom = async () => (await messages(server.db, TEMPLATE_WORKSPACE_OUT_OF_MEMORY)).filter((m) => m.targets?.[0] === w.id);
    const ood = async () => (await messages(server.db, TEMPLATE_WORKSPACE_OUT_OF_DISK)).filter((m) => m.targets?.[0] === w.id);

    expect((await push(10, 10)).status).toBe(204);
    expect(await oom()).toHaveLength(0);
    await push(85, 95);
    expect((await oom()).map((m) => m.payload.labels)).toEqual([{ workspace: w.name, threshold: '80%' }]);
    expect((await ood()).map((m) => m.payload.data?.volumes)).toEqual([[{ path: '/home', threshold: '90%' }]]);
    at('2026-08-01T00:01:00Z');
    await push(85, 95); // still over: no new crossing
    await push(10, 10); // back to OK
    await push(85, 95); // crosses again, within the 30-minute debounce: nothing
    expect(await oom()).toHaveLength(1);
    at('2026-08-01T00:40:00Z');
    await push(10, 10);
    await push(90, 95, 60); // crosses after the debounce: sent again, both volumes in one message
    expect(await oom()).toHaveLength(2);
    const disks = await ood();
    expect(disks).toHaveLength(2);
    expect(disks[1].payload.data?.volumes).toEqual([{ path: '/data', threshold: '50%' }, { path: '/home', threshold: '90%' }]);
    expect((await agent.call('POST', '/workspaceagents/me/resources-monitoring', { datapoints: [] }, { 'Coder-Session-Token': 'nope' })).status).toBe(401);
  });

  it('Task Paused (manual / auto) and Task Resumed from the task workspace lifecycle', async () => {
    at('2026-09-01T08:00:00Z');
    const { templateId } = await createTemplate(admin.api, `task${++n}`, { definition: AI_DEFINITION });
    const { workspace: w } = await createWorkspace(owner, { name: `k${++n}`, template_id: templateId, ttl_ms: HOUR });
    await owner.post(`/workspaces/${w.id}/builds`, { transition: 'stop' });
    await waitForBuild(owner, w.id);
    await owner.post(`/workspaces/${w.id}/builds`, { transition: 'start' });
    await waitForBuild(owner, w.id);
    at('2026-09-01T09:30:00Z');
    expect((await tick()).transitions[w.id]).toBe('stop');
    await waitForBuild(owner, w.id);
    const paused = (await messages(server.db, TEMPLATE_TASK_PAUSED)).filter((m) => m.targets?.[0] === w.id);
    expect(paused.map((m) => m.payload.labels.pause_reason)).toEqual(['manual', 'auto']);
    expect(paused[0].payload.labels).toMatchObject({ task: w.name, workspace: w.name });
    const resumed = (await messages(server.db, TEMPLATE_TASK_RESUMED)).filter((m) => m.targets?.[0] === w.id);
    expect(resumed).toHaveLength(1);
  });

  it('GET/PUT /prebuilds/settings pauses reconciliation; the gauge shows it', async () => {
    const member = await createUser(owner);
    expect((await member.api.put('/prebuilds/settings', { reconciliation_paused: true })).status).toBe(403);
    expect((await owner.get('/prebuilds/settings')).body).toEqual({ reconciliation_paused: false });
    expect((await owner.put('/prebuilds/settings', { reconciliation_paused: 'yes' })).status).toBe(400);
    expect((await owner.put('/prebuilds/settings', { reconciliation_paused: true })).body).toEqual({ reconciliation_paused: true });
    expect((await owner.get('/prebuilds/settings')).body).toEqual({ reconciliation_paused: true });
    const { templateId } = await createTemplate(admin.api, `pb${++n}`, { definition: PLAIN_DEFINITION, presets: [{ name: 'p', desired_instances: 1 }] });
    const res = await (server.services.prebuilds as unknown as { runOnce(): Promise<{ created: number }> }).runOnce();
    expect(res.created).toBe(0);
    expect((await server.api.get('/metrics')).body).toMatch(/coderd_prebuilt_workspaces_reconciliation_paused 1/);
    await owner.put('/prebuilds/settings', { reconciliation_paused: false });
    expect((await (server.services.prebuilds as unknown as { runOnce(): Promise<{ created: number }> }).runOnce()).created).toBe(1);
    expect((await server.api.get('/metrics')).body).toMatch(/coderd_prebuilt_workspaces_reconciliation_paused 0/);
    expect(templateId).toBeTruthy();
  });
});
