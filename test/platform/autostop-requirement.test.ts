import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { runCli } from '../support/process.js';
import type { LifecycleExecutor, TickResult } from '../../src/platform/lifecycle/executor.js';
import { TEMPLATE_WORKSPACE_DELETED } from '../../src/notifications/templates/catalogue.js';
import { createTemplate, createWorkspace, messages, waitForBuild } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

// The template's autostop requirement (days of the week, every N weeks) and the owner's quiet
// hours give a start build its max deadline (the reference's CalculateAutostop): the deadline never
// passes it, activity never bumps past it, and the executor stops the workspace there.
describeEachEngine('autostop requirement: max deadline in the owner quiet-hours time zone', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admin: { api: ApiHelper; id: string; username: string };
  let member: { api: ApiHelper; id: string; username: string };
  let now = new Date('2026-04-03T12:00:00Z');
  const clock = () => new Date(now);
  const at = (iso: string) => (now = new Date(iso));
  const tick = (): Promise<TickResult> => (server.services.lifecycle as LifecycleExecutor).runOnce();
  let n = 0;
  /** The owner's quiet hours (PUT /users/{user}/quiet-hours): a daily cron with its zone; empty = the default, midnight UTC. */
  const quietHours = async (schedule: string) => {
    const r = await member.api.put('/users/me/quiet-hours', { schedule });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  beforeAll(async () => {
    server = await startTestServer(engine, { now: clock, config: { lifecycle: { tickInterval: 0, reportInterval: 0 } } });
    owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
    member = await createUser(owner);
  });
  afterAll(async () => server?.stop());

  async function template(requirement: { days_of_week: string[]; weeks?: number }, extra: Record<string, unknown> = {}) {
    const { templateId } = await createTemplate(admin.api, `req${++n}`);
    const r = await admin.api.patch(`/templates/${templateId}`, { autostop_requirement: requirement, ...extra });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return templateId;
  }

  const build = async (id: string) => (await member.api.get(`/workspaces/${id}`)).body.latest_build;

  it('GET/PUT /users/{user}/quiet-hours: daily schedules only, self or a user admin', async () => {
    at('2026-04-03T12:00:00Z');
    expect((await member.api.get('/users/me/quiet-hours')).body).toEqual({
      raw_schedule: 'CRON_TZ=UTC 0 0 * * *', user_set: false, user_can_set: true, time: '00:00', timezone: 'UTC', next: '2026-04-04T00:00:00.000Z',
    });
    const set = await member.api.put('/users/me/quiet-hours', { schedule: 'CRON_TZ=America/New_York 30 2 * * *' });
    expect(set.body).toEqual({
      raw_schedule: 'CRON_TZ=America/New_York 30 2 * * *', user_set: true, user_can_set: true, time: '02:30', timezone: 'America/New_York', next: '2026-04-04T06:30:00.000Z',
    });
    for (const schedule of ['CRON_TZ=UTC 0 2 * * 1', 'CRON_TZ=Nowhere/Land 0 2 * * *', 'not a cron']) {
      const bad = await member.api.put('/users/me/quiet-hours', { schedule });
      expect({ schedule, status: bad.status, field: bad.body.validations?.[0]?.field }).toEqual({ schedule, status: 400, field: 'schedule' });
    }
    expect((await member.api.put(`/users/${admin.id}/quiet-hours`, { schedule: '' })).status).toBe(403);
    expect((await owner.get(`/users/${member.username}/quiet-hours`)).body.user_set).toBe(true);
    expect((await owner.put(`/users/${member.id}/quiet-hours`, { schedule: '' })).body).toMatchObject({ user_set: false, raw_schedule: 'CRON_TZ=UTC 0 0 * * *' });
  });

  it('max deadline: the next required day at the quiet hours of the owner zone; deadline pulled in; bumps capped; stopped there', async () => {
    await quietHours('CRON_TZ=America/New_York 0 2 * * *');
    const templateId = await template({ days_of_week: ['saturday'] }, { activity_bump_ms: HOUR });
    // Friday 16:00 EDT, TTL 8 hours → Saturday 04:00Z; Saturday 02:00 EDT is 06:00Z.
    at('2026-04-03T20:00:00Z');
    const { workspace, tokens } = await createWorkspace(member.api, { name: `a${++n}`, template_id: templateId, ttl_ms: 8 * HOUR });
    expect(workspace.latest_build).toMatchObject({ deadline: '2026-04-04T04:00:00.000Z', max_deadline: '2026-04-04T06:00:00.000Z' });

    const activity = () =>
      server.api.as(undefined).call('POST', '/workspaceagents/me/report-stats', { connection_count: 1 }, { 'Coder-Session-Token': tokens.get('main')! });
    at('2026-04-04T03:30:00Z');
    expect((await activity()).status).toBe(200);
    expect((await build(workspace.id)).deadline).toBe('2026-04-04T04:30:00.000Z');
    at('2026-04-04T05:30:00Z');
    await activity(); // would be 06:30Z: capped at the max deadline
    expect((await build(workspace.id)).deadline).toBe('2026-04-04T06:00:00.000Z');

    at('2026-04-04T05:59:00Z');
    await activity();
    expect((await build(workspace.id)).deadline).toBe('2026-04-04T06:00:00.000Z');
    expect((await tick()).transitions[workspace.id]).toBeUndefined();
    at('2026-04-04T06:00:00Z');
    expect((await tick()).transitions[workspace.id]).toBe('stop');
    expect((await waitForBuild(member.api, workspace.id)).latest_build).toMatchObject({ transition: 'stop', reason: 'autostop' });
  });

  it('no TTL: the deadline is the max deadline; across a DST change the wall-clock time holds', async () => {
    await quietHours('CRON_TZ=Europe/London 0 0 * * *');
    const templateId = await template({ days_of_week: ['sunday'] });
    // Friday 27 March 2026 (GMT): Sunday 29 March 00:00 GMT is 00:00Z (BST starts at 01:00 that day).
    at('2026-03-27T12:00:00Z');
    const w1 = (await createWorkspace(member.api, { name: `b${++n}`, template_id: templateId, ttl_ms: null })).workspace;
    expect(w1.latest_build).toMatchObject({ deadline: '2026-03-29T00:00:00.000Z', max_deadline: '2026-03-29T00:00:00.000Z' });
    // A week later (BST): Sunday 5 April 00:00 BST is Saturday 23:00Z.
    at('2026-04-03T12:00:00Z');
    const w2 = (await createWorkspace(member.api, { name: `b${++n}`, template_id: templateId, ttl_ms: null })).workspace;
    expect(w2.latest_build.max_deadline).toBe('2026-04-04T23:00:00.000Z');
    // Started less than an hour before the quiet hours: the next required day instead.
    at('2026-04-04T22:30:00Z');
    const w3 = (await createWorkspace(member.api, { name: `b${++n}`, template_id: templateId, ttl_ms: null })).workspace;
    expect(w3.latest_build.max_deadline).toBe('2026-04-11T23:00:00.000Z');
  });

  it('every N weeks counts weeks from Monday 2 January 2023; the default quiet hours are midnight UTC', async () => {
    await quietHours('');
    const templateId = await template({ days_of_week: ['sunday'], weeks: 2 });
    // Friday 3 April 2026 is in week 169 (odd): the stop waits for week 170's Sunday, 12 April.
    at('2026-04-03T12:00:00Z');
    const odd = (await createWorkspace(member.api, { name: `c${++n}`, template_id: templateId, ttl_ms: null })).workspace;
    expect(odd.latest_build.max_deadline).toBe('2026-04-12T00:00:00.000Z');
    // Friday 10 April is in week 170: the same Sunday.
    at('2026-04-10T12:00:00Z');
    const even = (await createWorkspace(member.api, { name: `c${++n}`, template_id: templateId, ttl_ms: null })).workspace;
    expect(even.latest_build.max_deadline).toBe('2026-04-12T00:00:00.000Z');
    // Weekly: the next Sunday.
    const weekly = await template({ days_of_week: ['sunday'] });
    at('2026-04-03T12:00:00Z');
    const w = (await createWorkspace(member.api, { name: `c${++n}`, template_id: weekly, ttl_ms: null })).workspace;
    expect(w.latest_build.max_deadline).toBe('2026-04-05T00:00:00.000Z');
    // No requirement: no max deadline.
    const { templateId: free } = await createTemplate(admin.api, `free${++n}`);
    const f = (await createWorkspace(member.api, { name: `c${++n}`, template_id: free, ttl_ms: HOUR })).workspace;
    expect(f.latest_build).toMatchObject({ deadline: '2026-04-03T13:00:00.000Z', max_deadline: null });
  });

  it('a new requirement on the template gives running builds a max deadline, never sooner than two hours away', async () => {
    await quietHours('');
    const { templateId } = await createTemplate(admin.api, `late${++n}`);
    at('2026-04-06T09:00:00Z'); // Monday
    const { workspace } = await createWorkspace(member.api, { name: `e${++n}`, template_id: templateId, ttl_ms: null });
    expect(workspace.latest_build).toMatchObject({ deadline: null, max_deadline: null });
    // Tuesday 23:00Z: Wednesday's midnight computed from the build's completion is an hour away → two hours.
    at('2026-04-07T23:00:00Z');
    expect((await admin.api.patch(`/templates/${templateId}`, { autostop_requirement: { days_of_week: ['wednesday'] } })).status).toBe(200);
    expect(await build(workspace.id)).toMatchObject({ deadline: '2026-04-08T01:00:00.000Z', max_deadline: '2026-04-08T01:00:00.000Z' });
    at('2026-04-08T01:00:00Z');
    expect((await tick()).transitions[workspace.id]).toBe('stop');
    await waitForBuild(member.api, workspace.id);
  });
});

// The reference (coderd/workspacebuilds.go) wakes a dormant workspace that is started: the start
// clears dormancy and the deletion date in its transaction; its CLI un-dormants first, saying so.
describeEachEngine('starting a dormant workspace wakes it', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admin: { api: ApiHelper; id: string; username: string };
  let member: { api: ApiHelper; id: string; username: string; email: string };
  let now = new Date('2026-05-01T00:00:00Z');
  const clock = () => new Date(now);
  const at = (iso: string) => (now = new Date(iso));
  const tick = (): Promise<TickResult> => (server.services.lifecycle as LifecycleExecutor).runOnce();
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer(engine, { now: clock, config: { lifecycle: { tickInterval: 0, reportInterval: 0 } } });
    owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
    member = await createUser(owner);
  });
  afterAll(async () => server?.stop());

  /** A workspace made dormant by the executor, each in a month of its own (a tick runs once per minute). */
  let month = 4;
  async function dormantWorkspace() {
    const m = String(++month).padStart(2, '0');
    const day = (d: string) => `2026-${m}-${d}`;
    at(`${day('01')}T00:00:00Z`);
    const { templateId } = await createTemplate(admin.api, `dz${++n}`);
    expect((await admin.api.patch(`/templates/${templateId}`, { time_til_dormant_ms: DAY, time_til_dormant_autodelete_ms: 2 * DAY })).status).toBe(200);
    const { workspace } = await createWorkspace(member.api, { name: `z${++n}`, template_id: templateId });
    at(`${day('02')}T00:01:00Z`);
    expect((await tick()).dormant).toContain(workspace.id);
    const w = await waitForBuild(member.api, workspace.id);
    expect(w).toMatchObject({ dormant_at: `${day('02')}T00:01:00.000Z`, deleting_at: `${day('04')}T00:01:00.000Z` });
    expect(w.latest_build).toMatchObject({ transition: 'stop', reason: 'dormancy' });
    return { w, day };
  }

  it('API: a start build clears dormant_at and deleting_at; the executor neither re-dormants nor deletes it', async () => {
    const { w, day } = await dormantWorkspace();
    at(`${day('03')}T10:00:00Z`);
    const r = await member.api.post(`/workspaces/${w.id}/builds`, { transition: 'start' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const started = await waitForBuild(member.api, w.id);
    expect(started).toMatchObject({ dormant_at: null, deleting_at: null });
    expect(started.latest_build).toMatchObject({ transition: 'start', status: 'running' });
    // Past the old deletion date, and under the dormancy threshold since the start: nothing happens.
    at(`${day('04')}T00:02:00Z`);
    const t = await tick();
    expect(t.leader).toBe(true);
    expect(t.transitions[w.id]).toBeUndefined();
    expect(t.dormant).not.toContain(w.id);
    expect((await messages(server.db, TEMPLATE_WORKSPACE_DELETED)).filter((m) => m.targets?.[0] === w.id)).toHaveLength(0);
    // A stop of a dormant workspace leaves it dormant.
    const d2 = await dormantWorkspace();
    at(`${d2.day('02')}T00:05:00Z`);
    expect((await member.api.post(`/workspaces/${d2.w.id}/builds`, { transition: 'stop' })).status).toBe(201);
    expect((await waitForBuild(member.api, d2.w.id)).dormant_at).toBe(`${d2.day('02')}T00:01:00.000Z`);
  });

  it('CLI: herald start says it activates the dormant workspace, un-dormants it, then starts it', { timeout: 60_000 }, async () => {
    const { w, day } = await dormantWorkspace();
    at(`${day('03')}T10:00:00Z`);
    const env = { HERALD_URL: server.url, HERALD_SESSION_TOKEN: member.api.token };
    const r = await runCli(['start', w.name], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Activating dormant workspace...');
    const after = await waitForBuild(member.api, w.id);
    expect(after).toMatchObject({ dormant_at: null, deleting_at: null });
    expect(after.latest_build).toMatchObject({ transition: 'start', status: 'running' });
    // Not dormant: no such line.
    const again = await runCli(['stop', w.name], { env });
    expect(again.code, again.stderr).toBe(0);
    const start2 = await runCli(['start', w.name], { env });
    expect(start2.stderr).not.toContain('Activating dormant workspace');
  });
});
