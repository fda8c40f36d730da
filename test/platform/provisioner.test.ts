import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { TEMPLATE_TASK_IDLE, TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED } from '../../src/notifications/templates/catalogue.js';
import { appStatus, createTemplate, messages, waitForBuild } from './helpers.js';

const run = promisify(execFile);
const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/provisioner/external-runner.mjs');

describeEachEngine('external provisioner protocol', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admin: { api: ApiHelper; id: string };
  let member: { api: ApiHelper; id: string };
  let key: string;
  let templateId: string;

  beforeAll(async () => {
    server = await startTestServer(engine, { config: { provisioner: { jobTimeout: 400 } } });
    owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
    member = await createUser(owner);
    templateId = (await createTemplate(admin.api, 'terraform', { definition: { provisioner: 'external' } })).templateId;
  });
  afterAll(async () => server?.stop());

  it('only owners create provisioner keys; jobs need a valid key', async () => {
    expect((await admin.api.post('/organizations/coder/provisionerkeys', { name: 'nope' })).status).toBe(403);
    const r = await owner.post('/organizations/coder/provisionerkeys', { name: 'runner' });
    expect(r.status).toBe(201);
    key = r.body.key;
    expect((await owner.post('/organizations/coder/provisionerkeys', { name: 'runner' })).status).toBe(409);
    const list = await owner.get('/organizations/coder/provisionerkeys');
    expect(list.body.map((k: { name: string }) => k.name)).toEqual(['runner']);
    const anon = await server.api.post('/provisionerdaemons/jobs/acquire', {});
    expect(anon.status).toBe(401);
    const wrong = await server.api.call('POST', '/provisionerdaemons/jobs/acquire', {}, { 'Coder-Provisioner-Key': 'abcdefghij-abcdefghijklmnopqrstuv' });
    expect(wrong.status).toBe(401);
    // A session token is no provisioner key.
    const session = await server.api.call('POST', '/provisionerdaemons/jobs/acquire', {}, { 'Coder-Provisioner-Key': owner.token! });
    expect(session.status).toBe(401);
  });

  it('a separate process acquires a build, streams logs and completes it with resources and an AI task', async () => {
    const created = await member.api.post('/users/me/workspaces', {
      name: 'ext-ws',
      template_id: templateId,
    });
    expect(created.status).toBe(201);
    expect(created.body.latest_build.status).toBe('pending');
    const { stdout } = await run(process.execPath, [RUNNER, server.url, 'complete'], { env: { ...process.env, HERALD_PROVISIONER_KEY: key }, timeout: 15_000 });
    const out = JSON.parse(stdout.trim());
    expect(out.status).toBe(204);
    expect(out.again).toBe(409);
    expect(out.build).toMatchObject({ workspace_id: created.body.id, workspace_name: 'ext-ws', transition: 'start', build_number: 1 });
    expect(out.build.workspace_owner.id).toBe(member.id);

    const w = await waitForBuild(member.api, created.body.id);
    expect(w.latest_build.status).toBe('running');
    expect(w.latest_build.has_ai_task).toBe(true);
    expect(w.latest_build.job).toMatchObject({ provisioner: 'external', status: 'succeeded', worker_id: expect.stringMatching(/^fixture-/) });
    const agent = w.latest_build.resources[0].agents[0];
    expect(agent.name).toBe('runner-agent');
    expect(agent.auth_token).toBeUndefined(); // the runner chose the token; Herald only keeps its hash
    expect(w.latest_build.ai_task_sidebar_app_id).toBe(agent.apps[0].id);
    const logs = await member.api.get(`/workspacebuilds/${w.latest_build.id}/logs`);
    expect(logs.body.map((l: { output: string }) => l.output)).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    const job = await server.db.query<{ result: { plan: unknown } }>(`SELECT result FROM provisioner_jobs WHERE id = $1`, [out.job_id]);
    expect(job.rows[0].result.plan).toEqual({ format_version: '1.2', resource_changes: [] });

    // The runner's agent token works on the agent API.
    expect((await appStatus(server.api, out.token, { app_slug: 'agent-ui', state: 'idle', message: 'ready' })).status).toBe(200);
    const idle = (await messages(server.db, TEMPLATE_TASK_IDLE)).filter((m) => m.targets?.[0] === w.id);
    expect(idle.map((m) => m.user_id)).toEqual([member.id]);
  });

  it('a runner that reports failure fails the build and notifies template admins', async () => {
    const created = await member.api.post('/users/me/workspaces', { name: 'ext-fail', template_id: templateId });
    const { stdout } = await run(process.execPath, [RUNNER, server.url, 'fail'], { env: { ...process.env, HERALD_PROVISIONER_KEY: key }, timeout: 15_000 });
    expect(JSON.parse(stdout.trim()).status).toBe(204);
    const w = await waitForBuild(member.api, created.body.id);
    expect(w.latest_build.status).toBe('failed');
    expect(w.latest_build.job.error).toBe('terraform: Error creating instance: quota exceeded');
    const sent = (await messages(server.db, TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED)).filter((m) => m.targets?.[0] === w.id);
    expect(sent.map((m) => m.user_id)).toEqual([admin.id]);
  });

  it('a job whose runner vanished times out and fails', async () => {
    const created = await member.api.post('/users/me/workspaces', { name: 'ext-hung', template_id: templateId });
    const acquired = await server.api.call('POST', '/provisionerdaemons/jobs/acquire', {}, { 'Coder-Provisioner-Key': key });
    expect(acquired.status).toBe(200);
    expect(acquired.body.workspace_build.workspace_id).toBe(created.body.id);
    // Nothing else is queued now.
    expect((await server.api.call('POST', '/provisionerdaemons/jobs/acquire', {}, { 'Coder-Provisioner-Key': key })).status).toBe(204);
    const w = await waitForBuild(member.api, created.body.id, undefined, 10_000);
    expect(w.latest_build.status).toBe('failed');
    expect(w.latest_build.job.error).toMatch(/^Build has been detected as hung for 400 milliseconds and will be terminated\.$/);
    const late = await server.api.call('POST', `/provisionerdaemons/jobs/${acquired.body.job_id}/complete`, { resources: [] }, { 'Coder-Provisioner-Key': key });
    expect(late.status).toBe(409);
  });
});
