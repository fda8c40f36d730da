import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { appStatus, createTemplate, createWorkspace, PLAIN_DEFINITION, waitForBuild } from './helpers.js';

// Issue 15 item 3: an agent token is good only for the latest build of a live workspace whose
// owner is active. A stop is a new latest build (with no agent), so it ends the token too.
describeEachEngine('agent tokens end with their build', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let templateId: string;
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = (await setupOwner(server.api)).api;
    templateId = (await createTemplate(owner, 'agent-tokens', { definition: PLAIN_DEFINITION })).templateId;
  });
  afterAll(async () => server?.stop());

  const report = (token: string) => appStatus(server.api, token, { app_slug: 'code-server', state: 'working', message: 'busy' });

  async function statusCount(workspaceId: string): Promise<number> {
    const r = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM workspace_app_statuses WHERE workspace_id = $1`, [workspaceId]);
    return r.rows[0].n;
  }

  /** A member's running workspace whose build-1 agent token works. */
  async function running() {
    const member = await createUser(owner);
    const { workspace, tokens } = await createWorkspace(member.api, { name: `ws-${++n}`, template_id: templateId });
    expect(workspace.latest_build.status).toBe('running');
    const token = tokens.get('main')!;
    expect(token).toBeTruthy();
    const ok = await report(token);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    return { member, workspace, token };
  }

  async function build(api: ApiHelper, workspaceId: string, transition: string, tokens?: Map<string, string>) {
    const r = await api.post(`/workspaces/${workspaceId}/builds`, { transition });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return waitForBuild(api, workspaceId, tokens);
  }

  async function expectRefused(token: string, workspaceId: string): Promise<void> {
    const before = await statusCount(workspaceId);
    const r = await report(token);
    expect(r.status, JSON.stringify(r.body)).toBe(401);
    expect(r.body.message).toBe('Workspace agent not authorized.');
    expect(await statusCount(workspaceId)).toBe(before);
  }

  it('after a stop', async () => {
    const { member, workspace, token } = await running();
    const stopped = await build(member.api, workspace.id, 'stop');
    expect(stopped.latest_build.status).toBe('stopped');
    await expectRefused(token, workspace.id);
  });

  it('after a rebuild issued a new token: the new one works, the old one does not', async () => {
    const { member, workspace, token } = await running();
    const tokens = new Map<string, string>();
    const rebuilt = await build(member.api, workspace.id, 'start', tokens);
    expect(rebuilt.latest_build.build_number).toBe(2);
    const fresh = tokens.get('main')!;
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(token);
    expect((await report(fresh)).status).toBe(200);
    await expectRefused(token, workspace.id);
  });

  it('after a stop and a start: the start build\'s token works, build 1\'s does not', async () => {
    const { member, workspace, token } = await running();
    await build(member.api, workspace.id, 'stop');
    const tokens = new Map<string, string>();
    await build(member.api, workspace.id, 'start', tokens);
    expect((await report(tokens.get('main')!)).status).toBe(200);
    await expectRefused(token, workspace.id);
  });

  it('after the owner was suspended', async () => {
    const { member, workspace, token } = await running();
    const r = await owner.put(`/users/${member.id}/status/suspend`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await expectRefused(token, workspace.id);
  });

  it('after the workspace was deleted', async () => {
    const { member, workspace, token } = await running();
    const deleted = await build(member.api, workspace.id, 'delete');
    expect(deleted.deleted).toBe(true);
    await expectRefused(token, workspace.id);
  });

  it('after the owner was deleted', async () => {
    const { member, workspace, token } = await running();
    const r = await owner.delete(`/users/${member.id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await expectRefused(token, workspace.id);
  });

  it('a token nobody issued, and no token at all', async () => {
    const { workspace } = await running();
    await expectRefused('not-a-real-agent-token', workspace.id);
    const r = await server.api.as(undefined).call('PATCH', '/workspaceagents/me/app-status', { app_slug: 'code-server', state: 'working', message: 'x' });
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('Workspace agent not authorized.');
  });
});
