// The reference's own clients against Herald (issue 23): a client typed by the reference's published
// shapes, sending requests as its web client does from Node, drives every compatibility route on
// both engines; each answer carries every field of the reference's type.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, OWNER, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { collectTokens, waitForBuild } from '../platform/helpers.js';
import { SIGNED_OUT } from '../../src/auth/service.js';
import { FORBIDDEN_DETAIL } from '../../src/api/errors.js';
import { ApiClient } from '../../src/contract/client.js';
import {
  axiosLikeRequest,
  keysOf,
  ReferenceApiError,
  ReferenceClient,
  type AuthMethods,
  type DeploymentConfig,
  type NotificationsConfig,
  type ProvisionerJob,
  type SerpentOption,
  type Template,
  type TemplateVersion,
  type User,
  type Workspace,
  type WorkspaceAgent,
  type WorkspaceApp,
  type WorkspaceAppStatus,
  type WorkspaceBuild,
} from './reference-client.js';

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** A one-file ustar archive, as the reference's CLI and dashboard upload a template. */
function tar(name: string, content: string): Buffer {
  const body = Buffer.from(content, 'utf8');
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([header, padded, Buffer.alloc(1024)]);
}

const missing = (value: unknown, keys: string[]) => keys.filter((k) => !(value && typeof value === 'object' && k in value));

// Every field of each reference type (the compiler checks each list is complete).
const KEYS = {
  user: keysOf<User>()({ id: true, username: true, email: true, name: true, avatar_url: true, created_at: true, updated_at: true, last_seen_at: true, status: true, login_type: true, theme_preference: true, organization_ids: true, roles: true }),
  job: keysOf<ProvisionerJob>()({ id: true, created_at: true, started_at: true, completed_at: true, canceled_at: true, error: true, error_code: true, status: true, worker_id: true, file_id: true, tags: true, queue_position: true, queue_size: true, organization_id: true, initiator_id: true, input: true, type: true, available_workers: true, logs_overflowed: true, metadata: true }),
  status: keysOf<WorkspaceAppStatus>()({ id: true, created_at: true, workspace_id: true, agent_id: true, app_id: true, state: true, message: true, uri: true, icon: true, needs_user_attention: true }),
  app: keysOf<WorkspaceApp>()({ id: true, url: true, external: true, slug: true, display_name: true, command: true, icon: true, subdomain: true, subdomain_name: true, sharing_level: true, healthcheck: true, health: true, group: true, hidden: true, open_in: true, tooltip: true, statuses: true }),
  agent: keysOf<WorkspaceAgent>()({ id: true, parent_id: true, created_at: true, updated_at: true, first_connected_at: true, last_connected_at: true, disconnected_at: true, started_at: true, ready_at: true, status: true, lifecycle_state: true, name: true, resource_id: true, instance_id: true, architecture: true, environment_variables: true, operating_system: true, logs_length: true, logs_overflowed: true, directory: true, expanded_directory: true, version: true, api_version: true, apps: true, latency: true, connection_timeout_seconds: true, troubleshooting_url: true, subsystems: true, health: true, display_apps: true, log_sources: true, scripts: true, startup_script_behavior: true }),
  build: keysOf<WorkspaceBuild>()({ id: true, created_at: true, updated_at: true, workspace_id: true, workspace_name: true, workspace_owner_id: true, workspace_owner_name: true, workspace_owner_avatar_url: true, template_version_id: true, template_version_name: true, build_number: true, transition: true, initiator_id: true, initiator_name: true, job: true, reason: true, resources: true, deadline: true, max_deadline: true, status: true, daily_cost: true, template_version_preset_id: true, has_ai_task: true, ai_task_sidebar_app_id: true }),
  workspace: keysOf<Workspace>()({ id: true, created_at: true, updated_at: true, owner_id: true, owner_name: true, owner_avatar_url: true, organization_id: true, organization_name: true, template_id: true, template_name: true, template_display_name: true, template_icon: true, template_allow_user_cancel_workspace_jobs: true, template_active_version_id: true, template_require_active_version: true, template_use_classic_parameter_flow: true, latest_build: true, latest_app_status: true, outdated: true, name: true, autostart_schedule: true, ttl_ms: true, last_used_at: true, deleting_at: true, dormant_at: true, health: true, automatic_updates: true, allow_renames: true, favorite: true, next_start_at: true, is_prebuild: true, task_id: true }),
  template: keysOf<Template>()({ id: true, created_at: true, updated_at: true, organization_id: true, organization_name: true, organization_display_name: true, organization_icon: true, name: true, display_name: true, provisioner: true, active_version_id: true, active_user_count: true, build_time_stats: true, description: true, deprecated: true, deprecation_message: true, icon: true, default_ttl_ms: true, activity_bump_ms: true, autostop_requirement: true, autostart_requirement: true, created_by_id: true, created_by_name: true, allow_user_autostart: true, allow_user_autostop: true, allow_user_cancel_workspace_jobs: true, failure_ttl_ms: true, time_til_dormant_ms: true, time_til_dormant_autodelete_ms: true, require_active_version: true, max_port_share_level: true, cors_behavior: true, use_classic_parameter_flow: true }),
  version: keysOf<TemplateVersion>()({ id: true, template_id: true, organization_id: true, created_at: true, updated_at: true, name: true, message: true, job: true, readme: true, created_by: true, archived: true, warnings: true }),
  authMethods: keysOf<AuthMethods>()({ terms_of_service_url: true, password: true, github: true, oidc: true }),
  option: keysOf<SerpentOption>()({ name: true, description: true, required: true, flag: true, env: true, yaml: true, default: true, value: true, annotations: true, group: true, hidden: true, value_source: true }),
  notifications: keysOf<NotificationsConfig>()({ max_send_attempts: true, retry_interval: true, sync_interval: true, sync_buffer_size: true, lease_period: true, lease_count: true, fetch_interval: true, method: true, dispatch_timeout: true, email: true, webhook: true, inbox: true }),
};

const fails = async (p: Promise<unknown>): Promise<ReferenceApiError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReferenceApiError);
  return err as ReferenceApiError;
};

describeEachEngine('the reference client against Herald', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let client: ReferenceClient;
  let member: Awaited<ReturnType<typeof createUser>>;
  let orgId: string;

  beforeAll(async () => {
    // E-mail configured (nothing listens there): a password reset is only offered where it can be sent.
    server = await startTestServer(engine, { config: { email: { smarthost: '127.0.0.1:9', from: 'herald@example.com' } } });
    owner = (await setupOwner(server.api)).api;
    client = new ReferenceClient(server.url, owner.token);
    member = await createUser(owner);
    orgId = (await client.getAuthenticatedUser()).organization_ids[0];
  });
  afterAll(async () => server?.stop());

  it('sends body-less requests as axios does in Node, and Herald takes them', async () => {
    const probe = await axiosLikeRequest(server.url, 'POST', '/notifications/test', { token: owner.token });
    expect(probe.sent['content-type']).toBe('application/x-www-form-urlencoded');
    expect(probe.sent['content-length']).toBe(0);
    expect(probe.status).toBe(204);
    expect(await client.markAllInboxNotificationsAsRead()).toBeUndefined();
    const someone = await createUser(owner);
    expect((await client.suspendUser(someone.id)).status).toBe('suspended');
    expect((await client.activateUser(someone.id)).status).toBe('active');
    // Logout of a session of its own (the owner's token stays valid for the rest).
    const session = await new ReferenceClient(server.url).login(OWNER.email, OWNER.password);
    const other = new ReferenceClient(server.url, session.session_token);
    expect((await other.logout()).message).toBe('Logged out!');
    const after = await fails(other.getAuthenticatedUser());
    expect([after.status, after.body.message, after.body.detail]).toEqual([401, SIGNED_OUT, 'API key is invalid.']);
  });

  it('answers the login page and the permission checks', async () => {
    const methods = await new ReferenceClient(server.url).getAuthMethods();
    expect(missing(methods, KEYS.authMethods)).toEqual([]);
    expect(methods.password.enabled).toBe(true);
    expect(methods.github.enabled).toBe(false);

    const checks = {
      readAllUsers: { object: { resource_type: 'user' }, action: 'read' },
      createUser: { object: { resource_type: 'user' }, action: 'create' },
      createTemplates: { object: { resource_type: 'template', any_org: true }, action: 'create' },
      viewDeploymentConfig: { object: { resource_type: 'deployment_config' }, action: 'read' },
      editOwnWorkspace: { object: { resource_type: 'workspace', owner_id: member.id }, action: 'update' },
      editOthersWorkspace: { object: { resource_type: 'workspace', owner_id: NIL_UUID }, action: 'update' },
      somethingHeraldLacks: { object: { resource_type: 'license' }, action: 'read' },
    };
    const asMember = await new ReferenceClient(server.url, member.api.token).checkAuthorization({ checks });
    expect(asMember).toEqual({
      readAllUsers: true,
      createUser: false,
      createTemplates: false,
      viewDeploymentConfig: false,
      editOwnWorkspace: true,
      editOthersWorkspace: false,
      somethingHeraldLacks: false,
    });
    const asOwner = await client.checkAuthorization({ checks });
    expect(Object.values(asOwner).every(Boolean)).toBe(true);
    expect((await fails(new ReferenceClient(server.url).checkAuthorization({ checks }))).status).toBe(401);

    const anon = new ReferenceClient(server.url);
    expect(await anon.validateUserPassword('password')).toEqual({ valid: false, details: expect.stringMatching(/.+/) });
    expect(await anon.validateUserPassword('Corr3ct-Horse-Battery!')).toEqual({ valid: true, details: '' });
  });

  it('creates users as the reference dashboard sends them', async () => {
    const base = { name: 'From The Dashboard', password: 'Dashb0ard-Passw0rd!', login_type: 'password', user_status: null };
    const a = await client.createUser({ ...base, email: 'dash-a@example.com', username: 'dash-a', organization_ids: [orgId] });
    expect(missing(a, KEYS.user)).toEqual([]);
    expect([a.status, a.organization_ids]).toEqual(['active', [orgId]]);
    const b = await client.createUser({ ...base, email: 'dash-b@example.com', username: 'dash-b', organization_ids: [NIL_UUID] });
    expect(b.organization_ids).toEqual([orgId]);
    const dormant = await client.createUser({ ...base, email: 'dash-c@example.com', username: 'dash-c', organization_ids: [], user_status: 'dormant' });
    expect(dormant.status).toBe('dormant');
    const unknown = await fails(client.createUser({ ...base, email: 'dash-d@example.com', username: 'dash-d', organization_ids: ['7d5d1c47-0000-4000-8000-000000000001'] }));
    expect(unknown.status).toBe(404);
    // Nothing was created for the refused request.
    expect((await owner.get('/users?q=dash-d')).body.count).toBe(0);
  });

  it('shows the deployment configuration in the reference shape, secrets masked', async () => {
    const cfg: DeploymentConfig = await client.getDeploymentConfig();
    expect(missing(cfg.config.notifications, KEYS.notifications)).toEqual([]);
    expect(cfg.config.notifications!.fetch_interval).toBe(server.config.notifications.fetchInterval * 1_000_000);
    for (const o of cfg.options) expect(missing(o, KEYS.option), o.flag).toEqual([]);
    const secret = cfg.options.find((o) => o.flag === 'email-auth-password')!;
    expect(secret.annotations).toEqual({ secret: 'true' });
    const forbidden = await fails(new ReferenceClient(server.url, member.api.token).getDeploymentConfig());
    expect([forbidden.status, forbidden.body.message, forbidden.body.detail]).toEqual([403, 'Forbidden.', FORBIDDEN_DETAIL]);
    const anonymous = await fails(new ReferenceClient(server.url).getDeploymentConfig());
    expect([anonymous.status, anonymous.body.message, anonymous.body.detail]).toEqual([
      401,
      SIGNED_OUT,
      'Cookie "coder_session_token" or query parameter must be provided.',
    ]);
  });

  describe('templates, workspaces, builds and agents', () => {
    let template: Template;
    let version: TemplateVersion;
    let workspace: Workspace;
    let fileId: string;
    const tokens = new Map<string, string>();

    beforeAll(async () => {
      const versionFile = {
        definition: { resources: [{ name: 'dev', type: 'docker_container', agents: [{ name: 'main', apps: [{ slug: 'code-server', display_name: 'Code' }] }] }] },
        parameters: [{ name: 'region', type: 'string', default_value: 'eu', mutable: true }],
        readme: '# From the archive',
      };
      const archive = tar('herald.json', JSON.stringify(versionFile));
      fileId = (await client.uploadFile(archive)).hash;
      // The same bytes again: the same file, 200 instead of 201.
      const again = await axiosLikeRequest(server.url, 'POST', '/files', { token: owner.token, raw: { type: 'application/x-tar', data: archive } });
      expect([again.status, again.body.hash]).toEqual([200, fileId]);
      version = await client.createTemplateVersion('coder', { name: 'v1', storage_method: 'file', file_id: fileId, provisioner: 'terraform' });
      template = await client.createTemplate('coder', { name: 'ref-tpl', template_version_id: version.id });
      const created = await client.createWorkspace('me', { name: 'ref-ws', template_id: template.id, rich_parameter_values: [{ name: 'region', value: 'us' }] });
      collectTokens(created.latest_build, tokens);
      await waitForBuild(owner, created.id, tokens);
      workspace = await client.getWorkspace(created.id);
    });

    it('uploads an archive and creates a version from its file_id', async () => {
      expect(missing(version, KEYS.version)).toEqual([]);
      expect(missing(version.job, KEYS.job)).toEqual([]);
      expect(version.job.file_id).toBe(fileId);
      expect(version.readme).toBe('# From the archive');
      const byName = await client.getTemplateVersionByName('coder', 'ref-tpl', 'v1');
      expect(byName.id).toBe(version.id);
      expect((await client.getTemplateVersion(version.id)).job.file_id).toBe(fileId);
      expect((await fails(client.getTemplateVersionByName('coder', 'ref-tpl', 'v9'))).status).toBe(404);
      const unknownFile = await fails(client.createTemplateVersion('coder', { file_id: '7d5d1c47-0000-4000-8000-000000000002' }));
      expect(unknownFile.status).toBe(404);
      // Herald's own typed client uploads bytes as they are.
      const own = await new ApiClient({ baseUrl: server.url, token: owner.token }).call('POST /files', { body: tar('herald.json', '{"readme":"x"}') });
      expect(own.hash).toMatch(/^[0-9a-f-]{36}$/);
      // A member may not upload.
      expect((await fails(new ReferenceClient(server.url, member.api.token).uploadFile(tar('herald.json', '{}')))).status).toBe(403);
    });

    it('answers templates and workspaces with every field of the reference types', async () => {
      const t = await client.getTemplate(template.id);
      expect(missing(t, KEYS.template)).toEqual([]);
      expect(t.active_user_count).toBe(1);
      expect(t.build_time_stats.start).toEqual({ P50: null, P95: null });
      expect(missing(workspace, KEYS.workspace)).toEqual([]);
      expect(missing(workspace.latest_build, KEYS.build)).toEqual([]);
      expect(missing(workspace.latest_build.job, KEYS.job)).toEqual([]);
      const agent = workspace.latest_build.resources[0].agents[0];
      expect(missing(agent, KEYS.agent)).toEqual([]);
      expect(missing(agent.apps[0], KEYS.app)).toEqual([]);
      expect(workspace).toMatchObject({ favorite: false, is_prebuild: false, next_start_at: null, health: { healthy: false, failing_agents: [agent.id] } });
    });

    it('finds a build by workspace name and number, and its parameters', async () => {
      const build = await client.getWorkspaceBuildByNumber('me', 'ref-ws', 1);
      expect(build.id).toBe(workspace.latest_build.id);
      expect(missing(build, KEYS.build)).toEqual([]);
      expect(await client.getWorkspaceBuildParameters(build.id)).toEqual([{ name: 'region', value: 'us' }]);
      expect((await fails(client.getWorkspaceBuildByNumber('me', 'ref-ws', 99))).status).toBe(404);
      // Another member's view: not found, not forbidden.
      const stranger = new ReferenceClient(server.url, member.api.token);
      expect((await fails(stranger.getWorkspaceBuildByNumber(OWNER.username, 'ref-ws', 1))).status).toBe(404);
      expect((await fails(stranger.getWorkspaceBuildParameters(build.id))).status).toBe(404);
    });

    it('reports app statuses with the reference checks, and shows them on the agent', async () => {
      const agentClient = new ReferenceClient(server.url, tokens.get('main')!);
      const long = 'x'.repeat(161);
      // Slug first, then length, then state.
      const slug = await fails(agentClient.patchAppStatus({ app_slug: 'nope', state: 'sleeping', message: long }));
      expect([slug.status, slug.body.message, slug.body.detail]).toEqual([400, 'Failed to get workspace app.', 'No app found with slug "nope"']);
      const length = await fails(agentClient.patchAppStatus({ app_slug: 'code-server', state: 'sleeping', message: long }));
      expect([length.status, length.body.message, length.body.detail]).toEqual([400, 'Message is too long.', 'Message must be less than 160 characters.']);
      const state = await fails(agentClient.patchAppStatus({ app_slug: 'code-server', state: 'sleeping', message: 'ok' }));
      expect([state.status, state.body.message, state.body.detail]).toEqual([400, 'Invalid state provided.', 'invalid state: "sleeping"']);
      await agentClient.patchAppStatus({ app_slug: 'code-server', state: 'working', message: 'Building' });
      // Nothing of the refused reports was stored.
      expect((await client.getWorkspace(workspace.id)).latest_app_status?.message).toBe('Building');

      const agentId = workspace.latest_build.resources[0].agents[0].id;
      const agent = await client.getWorkspaceAgent(agentId);
      expect(missing(agent, KEYS.agent)).toEqual([]);
      expect('auth_token' in agent).toBe(false);
      expect(agent.apps[0].statuses).toHaveLength(1);
      const [status] = agent.apps[0].statuses;
      expect(missing(status, KEYS.status)).toEqual([]);
      expect(status).toMatchObject({ state: 'working', message: 'Building', icon: '', needs_user_attention: false });
      expect((await fails(new ReferenceClient(server.url, member.api.token).getWorkspaceAgent(agentId))).status).toBe(404);
      expect((await fails(client.getWorkspaceAgent(NIL_UUID))).status).toBe(404);
    });
  });

  it('validates the one-time-passcode requests where the reference does', async () => {
    const anon = new ReferenceClient(server.url);
    const empty = await fails(anon.changePasswordWithOTP({ email: OWNER.email, one_time_passcode: '', password: 'N3w-Str0ng-Passw0rd!' }));
    expect([empty.status, empty.body.message]).toEqual([400, 'Validation failed.']);
    expect(empty.body.validations?.map((v) => v.field)).toEqual(['one_time_passcode']);
    const notEmail = await fails(anon.requestOneTimePassword('not an e-mail'));
    expect([notEmail.status, notEmail.body.message]).toEqual([400, 'Validation failed.']);
    expect(await anon.requestOneTimePassword('nobody@example.com')).toBeUndefined();
  });
});
