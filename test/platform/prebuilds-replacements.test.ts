import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { TEMPLATE_WORKSPACE_RESOURCE_REPLACED } from '../../src/notifications/templates/catalogue.js';
import { findResourceReplacements, replacementsData } from '../../src/platform/prebuilds/replacements.js';
import { createTemplate, messages, waitForBuild } from './helpers.js';
import { metric, pass, PREBUILDS_CONFIG, prebuildsOf, presetsOf } from './prebuild-helpers.js';

// Plans written by hand after HashiCorp's documented `terraform show -json` output
// (https://developer.hashicorp.com/terraform/internals/json-format): resource_changes[] with
// address, mode, type, name, index?, change {actions, before, after, replace_paths?}.
const change = (address: string, type: string, actions: string[], replace_paths?: unknown[]) => ({
  address,
  mode: 'managed',
  type,
  name: address.split('.').pop()!.replace(/\[.*\]$/, ''),
  provider_name: 'registry.terraform.io/kreuzwerker/docker',
  change: { actions, before: {}, after: {}, after_unknown: {}, ...(replace_paths ? { replace_paths } : {}) },
});
const plan = (...changes: unknown[]) => ({
  format_version: '1.2',
  terraform_version: '1.9.8',
  planned_values: { root_module: {} },
  resource_changes: changes,
  configuration: { root_module: {} },
});

const REPLACING = plan(
  change('docker_container.workspace[0]', 'docker_container', ['delete', 'create'], [['image'], ['env']]),
  change('docker_volume.home', 'docker_volume', ['create', 'delete'], [['name']]),
  change('coder_agent.main', 'coder_agent', ['delete', 'create'], [['token']]),
  change('docker_image.main', 'docker_image', ['no-op']),
);
const NOT_REPLACING = plan(
  change('docker_container.workspace[0]', 'docker_container', ['update']),
  change('docker_image.main', 'docker_image', ['no-op']),
  change('coder_agent.main', 'coder_agent', ['delete', 'create'], [['token']]),
);

describe('resource replacement parsing', () => {
  const cases: { name: string; plan: unknown; want: Record<string, string[]> }[] = [
    { name: 'no plan', plan: undefined, want: {} },
    { name: 'not an object', plan: 'nope', want: {} },
    { name: 'no resource_changes', plan: { format_version: '1.2' }, want: {} },
    { name: 'empty', plan: plan(), want: {} },
    { name: 'create only', plan: plan(change('aws_instance.dev', 'aws_instance', ['create'])), want: {} },
    { name: 'update in place', plan: plan(change('aws_instance.dev', 'aws_instance', ['update'])), want: {} },
    { name: 'update in place, empty replace_paths', plan: plan(change('aws_instance.dev', 'aws_instance', ['update'], [])), want: {} },
    { name: 'no-op, even with paths', plan: plan(change('aws_instance.dev', 'aws_instance', ['no-op'], [['ami']])), want: {} },
    { name: 'read (data source)', plan: plan({ ...change('data.coder_workspace.me', 'coder_workspace', ['read']), mode: 'data' }), want: {} },
    { name: 'delete then create', plan: plan(change('aws_instance.dev', 'aws_instance', ['delete', 'create'], [['ami']])), want: { 'aws_instance.dev': ['ami'] } },
    { name: 'create then delete', plan: plan(change('aws_instance.dev', 'aws_instance', ['create', 'delete'], [['instance_type']])), want: { 'aws_instance.dev': ['instance_type'] } },
    {
      name: 'nested and indexed paths',
      plan: plan(
        change('aws_instance.dev[1]', 'aws_instance', ['delete', 'create'], [
          ['network_interface', 0, 'subnet_id'],
          ['root_block_device', 0, 'volume_type'],
          ['tags', 'Name'],
        ]),
      ),
      want: { 'aws_instance.dev[1]': ['network_interface.0.subnet_id', 'root_block_device.0.volume_type', 'tags.Name'] },
    },
    {
      name: 'for_each key in the address',
      plan: plan(change('google_compute_disk.home["alice"]', 'google_compute_disk', ['delete', 'create'], [['zone']])),
      want: { 'google_compute_disk.home["alice"]': ['zone'] },
    },
    { name: 'coder_* resources are ignored', plan: plan(change('coder_agent.main', 'coder_agent', ['delete', 'create'], [['token']])), want: {} },
    {
      name: 'several resources',
      plan: REPLACING,
      want: { 'docker_container.workspace[0]': ['image', 'env'], 'docker_volume.home': ['name'] },
    },
    { name: 'several resources, none replaced', plan: NOT_REPLACING, want: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(Object.fromEntries(findResourceReplacements(c.plan))).toEqual(c.want);
    });
  }
  it('formats notification data as "p1, p2"', () => {
    expect(replacementsData(findResourceReplacements(REPLACING))).toEqual({ 'docker_container.workspace[0]': 'image, env', 'docker_volume.home': 'name' });
  });
});

describeEachEngine('prebuilt workspaces: resource replacements on claim', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admin: { api: ApiHelper; id: string };
  let member: { api: ApiHelper; id: string; username: string };

  beforeAll(async () => {
    server = await startTestServer(engine, { config: PREBUILDS_CONFIG });
    owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
    member = await createUser(owner);
  });
  afterAll(async () => server?.stop());

  const RESOURCES = [{ name: 'workspace', type: 'docker_container', agents: [{ name: 'main' }] }];
  const sentFor = async (workspaceId: string) =>
    (await messages(server.db, TEMPLATE_WORKSPACE_RESOURCE_REPLACED)).filter((m) => m.targets?.[0] === workspaceId);

  it('a claim whose plan replaces resources logs the drift, counts once and tells template admins', async () => {
    const { templateId, versionId } = await createTemplate(admin.api, 'pb-drift', {
      name: 'v1',
      definition: { resources: RESOURCES, plan: REPLACING },
      presets: [{ name: 'big', desired_instances: 1 }],
    });
    const presetId = (await presetsOf(owner, versionId))[0].ID;
    const labels = { template_name: 'pb-drift', preset_name: 'big', organization_name: 'coder' };
    // Creating the prebuild is not a claim: nothing yet.
    await pass(server);
    const [pb] = await prebuildsOf(owner, 'pb-drift');
    expect(pb.status).toBe('running');
    expect(await sentFor(pb.id)).toEqual([]);
    expect(await metric(server, 'coderd_prebuilt_workspaces_resource_replacements_total', labels)).toBeUndefined();

    const r = await member.api.post('/users/me/workspaces', { name: 'drifty', template_id: templateId, template_version_preset_id: presetId });
    expect(r.body.id).toBe(pb.id);
    const w = await waitForBuild(member.api, pb.id);
    expect(w.latest_build.status).toBe('running');
    const sent = await sentFor(pb.id);
    expect(sent.map((m) => m.user_id)).toEqual([admin.id]); // template-admin role; the owner has only "owner"
    expect(sent[0].created_by).toBe('prebuilds_reconciler');
    expect(sent[0].payload.labels).toEqual({
      org: 'coder',
      workspace: 'drifty',
      template: 'pb-drift',
      template_version: 'v1',
      preset: 'big',
      workspace_build_num: '2',
      claimant: member.username,
    });
    expect(sent[0].payload.data).toEqual({ replacements: { 'docker_container.workspace[0]': 'image, env', 'docker_volume.home': 'name' } });
    const orgId = w.organization_id;
    expect(sent[0].targets).toEqual([pb.id, member.id, templateId, versionId, presetId, orgId]);
    expect(await metric(server, 'coderd_prebuilt_workspaces_resource_replacements_total', labels)).toBe(1);
    const logs = (await member.api.get(`/workspacebuilds/${w.latest_build.id}/logs`)).body;
    const drift = logs.filter((l: any) => l.stage === 'Resource replacements');
    expect(drift.map((l: any) => l.output)).toEqual([
      expect.stringMatching(/replaced 2 resources/),
      '  docker_container.workspace[0] was replaced due to changes to: image, env',
      '  docker_volume.home was replaced due to changes to: name',
    ]);
    expect(drift.every((l: any) => l.log_level === 'warn')).toBe(true);

    // The rendered inbox message shows them too.
    const inbox = await admin.api.get('/notifications/inbox');
    const item = inbox.body.notifications.find((n: any) => n.template_id === TEMPLATE_WORKSPACE_RESOURCE_REPLACED);
    expect(item.content).toContain('_docker_volume.home_  was replaced due to changes to _name_');

    // Later builds of the claimed workspace are not claims: no more.
    const stop = await member.api.post(`/workspaces/${pb.id}/builds`, { transition: 'stop' });
    expect(stop.status).toBe(201);
    await waitForBuild(member.api, pb.id);
    const start = await member.api.post(`/workspaces/${pb.id}/builds`, { transition: 'start' });
    expect(start.status).toBe(201);
    await waitForBuild(member.api, pb.id);
    // Nor a workspace built from scratch with the same plan.
    const fresh = await member.api.post('/users/me/workspaces', { name: 'fresh', template_id: templateId, template_version_preset_id: presetId });
    expect(fresh.body.latest_build.build_number).toBe(1);
    await waitForBuild(member.api, fresh.body.id);
    expect(await sentFor(pb.id)).toHaveLength(1);
    expect(await sentFor(fresh.body.id)).toEqual([]);
    expect(await metric(server, 'coderd_prebuilt_workspaces_resource_replacements_total', labels)).toBe(1);
    await admin.api.patch(`/templates/${templateId}`, { deprecation_message: 'done' });
    await pass(server);
  });

  it('a claim without replacements sends nothing and counts nothing', async () => {
    const { templateId, versionId } = await createTemplate(admin.api, 'pb-clean', {
      definition: { resources: RESOURCES, plan: NOT_REPLACING },
      presets: [{ name: 'p', desired_instances: 1 }],
    });
    const presetId = (await presetsOf(owner, versionId))[0].ID;
    await pass(server);
    const [pb] = await prebuildsOf(owner, 'pb-clean');
    const r = await member.api.post('/users/me/workspaces', { name: 'clean', template_id: templateId, template_version_preset_id: presetId });
    expect(r.body.id).toBe(pb.id);
    const w = await waitForBuild(member.api, pb.id);
    expect(w.latest_build.status).toBe('running');
    expect(await sentFor(pb.id)).toEqual([]);
    expect(await metric(server, 'coderd_prebuilt_workspaces_resource_replacements_total', { template_name: 'pb-clean' })).toBeUndefined();
    expect(await metric(server, 'coderd_prebuilt_workspaces_claimed_total', { template_name: 'pb-clean' })).toBe(1);
    const logs = (await member.api.get(`/workspacebuilds/${w.latest_build.id}/logs`)).body;
    expect(logs.filter((l: any) => l.stage === 'Resource replacements')).toEqual([]);
    await admin.api.patch(`/templates/${templateId}`, { deprecation_message: 'done' });
    await pass(server);
  });
});
