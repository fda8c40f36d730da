// The CLI shows the schedules (issue 21): `herald templates show` lists a template's schedule options
// and `herald show` a workspace's autostart, TTL, deadlines and dormancy, in words and in -o json.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { runCli } from '../support/process.js';
import { createTemplate, createWorkspace } from '../platform/helpers.js';

const HOUR = 3_600_000;

describe('herald templates show / herald show: schedules (CLI, end to end)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let owner: ApiHelper;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    server = await startTestServer('pglite');
    owner = (await setupOwner(server.api)).api;
    env = { HERALD_URL: server.url, HERALD_SESSION_TOKEN: owner.token };
    const { templateId } = await createTemplate(owner, 'scheduled');
    const patched = await owner.patch(`/templates/${templateId}`, {
      default_ttl_ms: 8 * HOUR,
      activity_bump_ms: HOUR,
      autostop_requirement: { days_of_week: ['saturday', 'sunday'], weeks: 2 },
      autostart_requirement: { days_of_week: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] },
      time_til_dormant_ms: 30 * 24 * HOUR,
      time_til_dormant_autodelete_ms: 7 * 24 * HOUR,
      require_active_version: true,
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const { workspace } = await createWorkspace(owner, { template_id: templateId, name: 'sched-ws' });
    expect((await owner.put(`/workspaces/${workspace.id}/autostart`, { schedule: 'CRON_TZ=Europe/Paris 30 9 * * 1-5' })).status).toBe(204);
    expect((await owner.put(`/workspaces/${workspace.id}/ttl`, { ttl_ms: 2 * HOUR })).status).toBe(204);
  });
  afterAll(async () => server?.stop());

  it('templates show: every schedule option, in words; -o json has the fields', async () => {
    const r = await cli('templates', 'show', 'scheduled');
    expect(r.code, r.stderr).toBe(0);
    const line = (label: string) => r.stdout.split('\n').find((l) => l.startsWith(label))?.slice(label.length).trim();
    expect(line('Default time until autostop')).toBe('8h');
    expect(line('Activity bump')).toBe('1h');
    expect(line('Autostop requirement')).toBe('Sun, Sat, every 2 weeks');
    expect(line('Autostart allowed on')).toBe('Mon, Tue, Wed, Thu, Fri');
    expect(line('Dormancy threshold')).toBe('30d');
    expect(line('Delete dormant workspaces after')).toBe('7d');
    expect(line('Automatic updates')).toBe('required: workspaces start on the active version');
    const json = JSON.parse((await cli('templates', 'show', 'scheduled', '-o', 'json')).stdout)[0];
    expect(json).toMatchObject({
      default_ttl_ms: 8 * HOUR,
      time_til_dormant_ms: 30 * 24 * HOUR,
      time_til_dormant_autodelete_ms: 7 * 24 * HOUR,
      require_active_version: true,
      autostop_requirement: { weeks: 2 },
    });
  });

  it('show: the workspace schedule, deadline included; -o json has the fields', async () => {
    const r = await cli('show', 'sched-ws');
    expect(r.code, r.stderr).toBe(0);
    const line = (label: string) => r.stdout.split('\n').find((l) => l.startsWith(label))?.slice(label.length).trim();
    expect(line('Autostart')).toBe('09:30 Mon–Fri (Europe/Paris)');
    expect(line('Time until autostop')).toBe('2h');
    expect(line('Deadline')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(line('Dormant since')).toBe('not dormant');
    expect(line('Deleting at')).toBe('not scheduled');
    const json = JSON.parse((await cli('show', 'sched-ws', '-o', 'json')).stdout)[0];
    expect(json).toMatchObject({ autostart_schedule: 'CRON_TZ=Europe/Paris 30 9 * * 1-5', ttl_ms: 2 * HOUR, dormant_at: null, deleting_at: null });
    expect(json.latest_build.deadline).toEqual(expect.any(String));
  });
});
