import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import {
  TEMPLATE_TEMPLATE_DELETED,
  TEMPLATE_TEMPLATE_DEPRECATED,
  TEMPLATE_WORKSPACE_AUTOBUILD_FAILED,
  TEMPLATE_WORKSPACE_CREATED,
  TEMPLATE_WORKSPACE_DELETED,
  TEMPLATE_WORKSPACE_MANUALLY_UPDATED,
  TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED,
} from '../../src/notifications/templates/catalogue.js';
import { createBuild } from '../../src/platform/workspaces/service.js';
import { getUserById } from '../../src/auth/users/queries.js';
import { createTemplate, createWorkspace, messages, optIn, PLAIN_DEFINITION, pushVersion, waitForBuild } from './helpers.js';

type User = { api: ApiHelper; id: string; username: string };

describeEachEngine('templates, workspaces and builds', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let ownerId: string;
  let admin: User; // template admin
  let member: User;
  let other: User;

  beforeAll(async () => {
    server = await startTestServer(engine);
    const s = await setupOwner(server.api);
    owner = s.api;
    ownerId = s.userId;
    admin = await createUser(owner, ['template-admin']);
    member = await createUser(owner);
    other = await createUser(owner);
    for (const u of [owner, admin.api]) {
      await optIn(u, TEMPLATE_WORKSPACE_CREATED);
      await optIn(u, TEMPLATE_WORKSPACE_MANUALLY_UPDATED);
    }
  });
  afterAll(async () => server?.stop());

  it('creates versions and templates, lists, promotes, and rejects bad input', async () => {
    const params = [
      { name: 'region', type: 'string', default_value: 'eu', options: [{ name: 'EU', value: 'eu' }, { name: 'US', value: 'us' }], mutable: true },
      { name: 'cpus', type: 'number', default_value: '2', validation_min: 1, validation_max: 8 },
    ];
    const { templateId, versionId } = await createTemplate(admin.api, 'docker', {
      name: 'v1',
      message: 'first',
      definition: PLAIN_DEFINITION,
      parameters: params,
      presets: [{ name: 'big', parameters: [{ name: 'cpus', value: '8' }], desired_instances: 2 }],
    });
    const t = await member.api.get(`/templates/${templateId}`);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ name: 'docker', active_version_id: versionId, organization_name: 'coder', deprecated: false });
    const presets = await member.api.get(`/templateversions/${versionId}/presets`);
    expect(presets.body).toEqual([
      expect.objectContaining({ Name: 'big', DesiredPrebuildInstances: 2, prebuild_status: 'healthy', Parameters: [{ Name: 'cpus', Value: '8' }] }),
    ]);
    const list = await member.api.get('/organizations/coder/templates');
    expect(list.body.map((x: { name: string }) => x.name)).toContain('docker');
    const byOrgId = await member.api.get(`/organizations/${t.body.organization_id}/templates`);
    expect(byOrgId.status).toBe(200);

    // Members cannot manage templates.
    expect((await member.api.post('/organizations/coder/templateversions', { definition: {} })).status).toBe(403);
    // Bad definitions, parameters and presets are 400 with the field.
    const badDef = await admin.api.post('/organizations/coder/templateversions', { definition: { has_ai_task: true, resources: [] } });
    expect(badDef.status).toBe(400);
    expect(badDef.body.validations[0].field).toBe('definition.ai_task_sidebar_app');
    const badParam = await admin.api.post('/organizations/coder/templateversions', { parameters: [{ name: 'n', type: 'number', default_value: 'abc' }] });
    expect(badParam.status).toBe(400);
    const badPreset = await admin.api.post('/organizations/coder/templateversions', { parameters: params, presets: [{ name: 'p', parameters: [{ name: 'nope', value: '1' }] }] });
    expect(badPreset.status).toBe(400);
    expect((await admin.api.post('/organizations/nope/templateversions', {})).status).toBe(404);
    // Duplicate names.
    const dupT = await admin.api.post('/organizations/coder/templates', { name: 'docker', template_version_id: (await admin.api.post('/organizations/coder/templateversions', {})).body.id });
    expect(dupT.status).toBe(409);
    expect((await admin.api.post('/organizations/coder/templateversions', { template_id: templateId, name: 'v1' })).status).toBe(409);

    // Promote: a version of this template works, one of another template does not.
    const v2 = await pushVersion(admin.api, templateId, { name: 'v2', definition: PLAIN_DEFINITION, parameters: params });
    expect((await admin.api.patch(`/templates/${templateId}/versions`, { id: v2 })).status).toBe(200);
    expect((await member.api.get(`/templates/${templateId}`)).body.active_version_id).toBe(v2);
    const foreign = await createTemplate(admin.api, 'foreign');
    const wrong = await admin.api.patch(`/templates/${templateId}/versions`, { id: foreign.versionId });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe("The provided template version doesn't belong to the specified template.");
    expect((await member.api.patch(`/templates/${templateId}/versions`, { id: versionId })).status).toBe(403);
    const versions = await member.api.get(`/templates/${templateId}/versions`);
    expect(versions.body.map((v: { name: string }) => v.name)).toEqual(['v1', 'v2']);
  });

  it('creates a workspace with parameters; builds stop, start and delete through the built-in provisioner', async () => {
    const { templateId } = await createTemplate(admin.api, 'basic', {
      definition: { ...PLAIN_DEFINITION, logs: ['pulling image'] },
      parameters: [
        { name: 'size', type: 'string', default_value: 'small', mutable: false },
        { name: 'cpus', type: 'number', default_value: '2', validation_min: 1, validation_max: 8, mutable: true },
      ],
    });
    const { workspace } = await createWorkspace(member.api, { name: 'ws1', template_id: templateId, rich_parameter_values: [{ name: 'cpus', value: '4' }] });
    expect(workspace.latest_build).toMatchObject({ status: 'running', build_number: 1, transition: 'start', initiator_id: member.id, has_ai_task: false });
    expect(workspace.latest_build.resources[0].agents[0].apps[0].slug).toBe('code-server');
    const byName = await member.api.get(`/users/me/workspace/ws1`);
    expect(byName.body.id).toBe(workspace.id);
    const logs = await member.api.get(`/workspacebuilds/${workspace.latest_build.id}/logs`);
    expect(logs.body.map((l: { output: string }) => l.output)).toContain('pulling image');

    // Bad builds: parameters failing validation, immutable changes, unknown parameters, foreign versions.
    const bad = async (body: object) => member.api.post(`/workspaces/${workspace.id}/builds`, body);
    const range = await bad({ transition: 'start', rich_parameter_values: [{ name: 'cpus', value: '9' }] });
    expect(range.status).toBe(400);
    expect(range.body.message).toBe('Unable to validate parameter "cpus".');
    expect((await bad({ transition: 'start', rich_parameter_values: [{ name: 'size', value: 'big' }] })).status).toBe(400);
    expect((await bad({ transition: 'start', rich_parameter_values: [{ name: 'nope', value: 'x' }] })).status).toBe(400);
    const foreign = await createTemplate(admin.api, 'foreign2');
    expect((await bad({ transition: 'start', template_version_id: foreign.versionId })).status).toBe(400);
    expect((await bad({ transition: 'reboot' })).status).toBe(400);
    expect((await other.api.post(`/workspaces/${workspace.id}/builds`, { transition: 'stop' })).status).toBe(404);
    const builds = await member.api.get(`/workspaces/${workspace.id}/builds`);
    expect(builds.body).toHaveLength(1); // nothing half-written

    expect((await bad({ transition: 'stop' })).status).toBe(201);
    expect((await waitForBuild(member.api, workspace.id)).latest_build).toMatchObject({ status: 'stopped', build_number: 2 });
    expect((await bad({ transition: 'start', rich_parameter_values: [{ name: 'cpus', value: '6' }] })).status).toBe(201);
    const started = await waitForBuild(member.api, workspace.id);
    expect(started.latest_build.status).toBe('running');
    const params = await server.db.query<{ name: string; value: string }>(
      `SELECT name, value FROM workspace_build_parameters WHERE workspace_build_id = $1 ORDER BY name`,
      [started.latest_build.id],
    );
    expect(params.rows).toEqual([{ name: 'cpus', value: '6' }, { name: 'size', value: 'small' }]);

    const list = await member.api.get('/workspaces?q=owner:me');
    expect(list.body.workspaces.map((w: { name: string }) => w.name)).toEqual(['ws1']);
    expect((await other.api.get('/workspaces')).body.count).toBe(0);

    // The owner deletes their own workspace: no Workspace Deleted notification.
    expect((await bad({ transition: 'delete' })).status).toBe(201);
    const deleted = await waitForBuild(member.api, workspace.id);
    expect(deleted.latest_build.status).toBe('deleted');
    expect(deleted.deleted).toBe(true);
    expect((await member.api.get(`/workspaces/${workspace.id}`)).status).toBe(410);
    const after = await bad({ transition: 'start' });
    expect(after.status).toBe(410);
    expect((await messages(server.db, TEMPLATE_WORKSPACE_DELETED)).filter((m) => m.targets?.[0] === workspace.id)).toEqual([]);
  });

  it('Workspace Created goes to owners and template admins except the initiator', async () => {
    const { templateId, versionId } = await createTemplate(admin.api, 'created');
    const { workspace } = await createWorkspace(member.api, { name: 'fresh', template_id: templateId, rich_parameter_values: [] });
    const sent = (await messages(server.db, TEMPLATE_WORKSPACE_CREATED)).filter((m) => m.targets?.[0] === workspace.id);
    expect(sent.map((m) => m.user_id).sort()).toEqual([ownerId, admin.id].sort());
    expect(sent[0].payload.labels).toEqual({ workspace: 'fresh', template: 'created', version: expect.any(String), workspace_owner_username: member.username });
    expect(sent[0].payload.data).toMatchObject({ workspace: { id: workspace.id, name: 'fresh' }, template_version: { id: versionId } });
    expect(sent[0].created_by).toBe('api-workspaces-create');

    // The admin creating a workspace for the member is not told about it.
    const byAdmin = await createWorkspace(owner, { name: 'for-member', template_id: templateId }, member.id);
    const sent2 = (await messages(server.db, TEMPLATE_WORKSPACE_CREATED)).filter((m) => m.targets?.[0] === byAdmin.workspace.id);
    expect(sent2.map((m) => m.user_id)).toEqual([admin.id]);
  });

  it('Workspace Manually Updated: explicit new version only, owners and template admins except the initiator, no repeat', async () => {
    const { templateId } = await createTemplate(admin.api, 'updatable');
    const { workspace } = await createWorkspace(member.api, { name: 'upd', template_id: templateId });
    const v2 = await pushVersion(admin.api, templateId, { name: 'second', definition: PLAIN_DEFINITION });
    await admin.api.patch(`/templates/${templateId}/versions`, { id: v2 });
    const ours = async () => (await messages(server.db, TEMPLATE_WORKSPACE_MANUALLY_UPDATED)).filter((m) => m.targets?.[0] === workspace.id);

    // Implicit builds never notify.
    await member.api.post(`/workspaces/${workspace.id}/builds`, { transition: 'stop' });
    await waitForBuild(member.api, workspace.id);
    expect(await ours()).toEqual([]);

    // The member updates their own workspace: the owner and the template admin are told, the member is not.
    const r = await member.api.post(`/workspaces/${workspace.id}/builds`, { transition: 'start', template_version_id: v2 });
    expect(r.status).toBe(201);
    await waitForBuild(member.api, workspace.id);
    let sent = await ours();
    expect(sent.map((m) => m.user_id).sort()).toEqual([ownerId, admin.id].sort());
    const me = (await getUserById(server.db, member.id))!;
    expect(sent[0].payload.labels).toEqual({
      organization: 'coder',
      initiator: me.name || me.username,
      workspace: 'upd',
      template: 'updatable',
      version: 'second',
      workspace_owner_username: member.username,
    });
    expect(sent[0].created_by).toBe('api-workspaces-updated');
    expect(sent[0].targets).toEqual([workspace.id, member.id, templateId, workspace.organization_id]);

    // Building the same version again is not an update.
    await member.api.post(`/workspaces/${workspace.id}/builds`, { transition: 'start', template_version_id: v2 });
    await waitForBuild(member.api, workspace.id);
    sent = await ours();
    expect(sent).toHaveLength(2);

    // The deployment owner updating: the template admin only (the workspace owner is no recipient as such).
    const v3 = await pushVersion(admin.api, templateId, { name: 'third', definition: PLAIN_DEFINITION });
    await admin.api.patch(`/templates/${templateId}/versions`, { id: v3 });
    expect((await owner.post(`/workspaces/${workspace.id}/builds`, { transition: 'start', template_version_id: v3 })).status).toBe(201);
    const third = (await ours()).slice(2);
    expect(third.map((m) => m.user_id)).toEqual([admin.id]);
    expect(third[0].payload.labels.version).toBe('third');
  });

  it('a failed manual build notifies template admins; a failed autobuild notifies the owner', async () => {
    const { templateId } = await createTemplate(admin.api, 'flaky', {
      name: 'broken-v',
      definition: { ...PLAIN_DEFINITION, error: 'terraform apply failed: quota exceeded', fail_on: ['start'] },
    });
    const { workspace } = await createWorkspace(member.api, { name: 'flaky-ws', template_id: templateId });
    expect(workspace.latest_build.status).toBe('failed');
    expect(workspace.latest_build.job.error).toBe('terraform apply failed: quota exceeded');
    const manual = (await messages(server.db, TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED)).filter((m) => m.targets?.[0] === workspace.id);
    expect(manual.map((m) => m.user_id)).toEqual([admin.id]);
    expect(manual[0].payload.labels).toEqual({
      name: 'flaky-ws',
      template_name: 'flaky',
      template_version_name: 'broken-v',
      initiator: member.username,
      workspace_owner_username: member.username,
      workspace_build_number: '1',
    });

    // An automatic build (the lifecycle executor's path) that fails.
    const system = (await getUserById(server.db, ownerId))!;
    await server.db.tx((q) => createBuild({ log: server.log, enqueuer: server.enqueuer }, q, workspace.id, system, { transition: 'start', reason: 'autostart' }));
    await waitForBuild(member.api, workspace.id);
    const auto = (await messages(server.db, TEMPLATE_WORKSPACE_AUTOBUILD_FAILED)).filter((m) => m.targets?.[0] === workspace.id);
    expect(auto.map((m) => m.user_id)).toEqual([member.id]);
    expect(auto[0].payload.labels).toEqual({ name: 'flaky-ws', reason: 'autostart' });
    expect(auto[0].created_by).toBe('provisionerd');
  });

  it('Workspace Deleted when someone else deletes it', async () => {
    const { templateId } = await createTemplate(admin.api, 'doomed');
    const { workspace } = await createWorkspace(member.api, { name: 'doomed-ws', template_id: templateId });
    expect((await owner.post(`/workspaces/${workspace.id}/builds`, { transition: 'delete' })).status).toBe(201);
    await waitForBuild(owner, workspace.id);
    const sent = (await messages(server.db, TEMPLATE_WORKSPACE_DELETED)).filter((m) => m.targets?.[0] === workspace.id);
    expect(sent.map((m) => m.user_id)).toEqual([member.id]);
    expect(sent[0].payload.labels).toEqual({ name: 'doomed-ws', reason: 'initiated by user', initiator: 'admin' });
  });

  it('deprecation notifies workspace owners and blocks new workspaces; deletion notifies admins', async () => {
    const { templateId } = await createTemplate(admin.api, 'old-stack');
    await createWorkspace(member.api, { name: 'legacy', template_id: templateId });
    await createWorkspace(other.api, { name: 'legacy', template_id: templateId });
    await createWorkspace(other.api, { name: 'legacy2', template_id: templateId });
    const dep = await admin.api.patch(`/templates/${templateId}`, { deprecation_message: 'Use new-stack instead.' });
    expect(dep.status).toBe(200);
    expect(dep.body).toMatchObject({ deprecated: true, deprecation_message: 'Use new-stack instead.' });
    const sent = (await messages(server.db, TEMPLATE_TEMPLATE_DEPRECATED)).filter((m) => m.payload.labels.template === 'old-stack');
    expect(sent.map((m) => m.user_id).sort()).toEqual([member.id, other.id].sort());
    expect(sent[0].payload.labels).toEqual({ template: 'old-stack', message: 'Use new-stack instead.', organization: 'coder' });
    expect(sent[0].targets).toBeNull();
    // Same message again: no second round.
    await admin.api.patch(`/templates/${templateId}`, { deprecation_message: 'Use new-stack instead.' });
    expect((await messages(server.db, TEMPLATE_TEMPLATE_DEPRECATED)).filter((m) => m.payload.labels.template === 'old-stack')).toHaveLength(2);
    const blocked = await member.api.post('/users/me/workspaces', { name: 'nope', template_id: templateId });
    expect(blocked.status).toBe(403);
    expect(blocked.body.message).toBe('Template "old-stack" has been deprecated, and cannot be used to create a new workspace.');

    // Deleting needs the workspaces gone first.
    const refused = await admin.api.delete(`/templates/${templateId}`);
    expect(refused.status).toBe(400);
    const { templateId: empty } = await createTemplate(admin.api, 'empty-one', { definition: PLAIN_DEFINITION });
    expect((await member.api.delete(`/templates/${empty}`)).status).toBe(403);
    expect((await admin.api.delete(`/templates/${empty}`)).status).toBe(200);
    expect((await admin.api.get(`/templates/${empty}`)).status).toBe(404);
    const del = (await messages(server.db, TEMPLATE_TEMPLATE_DELETED)).filter((m) => m.targets?.[0] === empty);
    expect(del.map((m) => m.user_id)).toEqual([ownerId]);
    expect(del[0].payload.labels).toEqual({ name: 'empty-one', initiator: admin.username });
  });
});
