import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import {
  TEMPLATE_TASK_COMPLETED,
  TEMPLATE_TASK_FAILED,
  TEMPLATE_TASK_IDLE,
  TEMPLATE_TASK_WORKING,
} from '../../src/notifications/templates/catalogue.js';
import { truncateTaskLabel } from '../../src/platform/tasks/notify.js';
import { AI_DEFINITION, appStatus, createTemplate, createWorkspace, messages, PLAIN_DEFINITION } from './helpers.js';

const TASK_TEMPLATES = [TEMPLATE_TASK_WORKING, TEMPLATE_TASK_IDLE, TEMPLATE_TASK_COMPLETED, TEMPLATE_TASK_FAILED];

describeEachEngine('task status notifications (reference 8a)', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let member: { api: ApiHelper; id: string; username: string };
  let aiTemplate: string;
  let plainTemplate: string;
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = (await setupOwner(server.api)).api;
    member = await createUser(owner);
    aiTemplate = (
      await createTemplate(owner, 'ai-task', {
        definition: AI_DEFINITION,
        parameters: [{ name: 'AI Prompt', type: 'string', mutable: true, default_value: '' }],
      })
    ).templateId;
    plainTemplate = (await createTemplate(owner, 'plain', { definition: PLAIN_DEFINITION })).templateId;
  });
  afterAll(async () => server?.stop());

  /** Sends the states in order from a fresh workspace; returns the task notifications it raised. */
  async function run(states: string[], opts: { template?: string; prompt?: string; slug?: string } = {}) {
    const name = `task-${++n}`;
    const { workspace, tokens } = await createWorkspace(member.api, {
      name,
      template_id: opts.template ?? aiTemplate,
      rich_parameter_values: opts.prompt !== undefined ? [{ name: 'AI Prompt', value: opts.prompt }] : [],
    });
    expect(workspace.latest_build.status).toBe('running');
    const token = tokens.get('main')!;
    expect(token).toBeTruthy();
    for (const state of states) {
      const r = await appStatus(server.api, token, { app_slug: opts.slug ?? 'claude-code', state, message: `now ${state}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const all = [];
    for (const t of TASK_TEMPLATES) all.push(...(await messages(server.db, t)).filter((m) => m.targets?.[0] === workspace.id));
    return { workspace, sent: all };
  }

  it('not an AI task: nothing', async () => {
    const { sent } = await run(['idle', 'working', 'idle'], { template: plainTemplate, slug: 'code-server' });
    expect(sent).toEqual([]);
  });

  it('a status of an app that is not the sidebar app: nothing', async () => {
    const { sent } = await run(['idle', 'working'], { slug: 'code-server' });
    expect(sent).toEqual([]);
  });

  it('first working: nothing; working → working: nothing', async () => {
    expect((await run(['working'])).sent).toEqual([]);
    expect((await run(['working', 'working'])).sent).toEqual([]);
  });

  it('first idle: Task Idle to the owner with exactly the task and workspace labels', async () => {
    const { workspace, sent } = await run(['idle'], { prompt: 'Fix the flaky test' });
    expect(sent).toHaveLength(1);
    const m = sent[0];
    expect(m.notification_template_id).toBe(TEMPLATE_TASK_IDLE);
    expect(m.user_id).toBe(member.id);
    expect(m.payload.labels).toEqual({ task: 'Fix the flaky test', workspace: workspace.name });
    expect(m.created_by).toBe('api-workspace-agent-app-status');
    expect(m.payload.data?.dedupe_bypass_ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    const appId = workspace.latest_build.ai_task_sidebar_app_id;
    expect(m.targets).toEqual([workspace.id, member.id, workspace.organization_id, appId]);
  });

  it('idle → working: Task Working; working → idle: Task Idle', async () => {
    const { sent } = await run(['idle', 'working', 'idle']);
    expect(sent.filter((m) => m.notification_template_id === TEMPLATE_TASK_WORKING)).toHaveLength(1);
    // The second Idle is identical to the first: within one minute the dedupe keeps one.
    const idles = sent.filter((m) => m.notification_template_id === TEMPLATE_TASK_IDLE);
    expect(idles.length).toBeGreaterThanOrEqual(1);
    if (idles.length === 2) expect(idles[0].payload.data?.dedupe_bypass_ts).not.toBe(idles[1].payload.data?.dedupe_bypass_ts);
  });

  it('working → idle sends Idle; falls back to the workspace name without a prompt', async () => {
    const { workspace, sent } = await run(['working', 'idle']);
    expect(sent).toHaveLength(1);
    expect(sent[0].notification_template_id).toBe(TEMPLATE_TASK_IDLE);
    expect(sent[0].payload.labels.task).toBe(workspace.name);
  });

  it('complete and failure: Task Completed / Task Failed (Herald); same state twice sends once', async () => {
    const done = await run(['working', 'complete', 'complete']);
    expect(done.sent.map((m) => m.notification_template_id)).toEqual([TEMPLATE_TASK_COMPLETED]);
    const failed = await run(['failure']);
    expect(failed.sent.map((m) => m.notification_template_id)).toEqual([TEMPLATE_TASK_FAILED]);
    expect(Object.keys(failed.sent[0].payload.labels).sort()).toEqual(['task', 'workspace']);
  });

  it('long prompt: the task label is truncated to 160 runes on a word boundary with an ellipsis', async () => {
    const prompt = 'Refactor the notification dispatcher '.repeat(10).trim();
    const { sent } = await run(['idle'], { prompt });
    expect(sent).toHaveLength(1);
    const label = sent[0].payload.labels.task;
    expect([...label].length).toBeLessThanOrEqual(160);
    expect(label.endsWith('…')).toBe(true);
    expect(label).toBe(truncateTaskLabel(prompt));
    expect(prompt.startsWith(label.slice(0, -1))).toBe(true);
    expect(label.slice(0, -1).endsWith(' ')).toBe(false);
  });

  it('validates the request: unknown slug, bad state, long message, user token; nothing is stored', async () => {
    const { workspace, tokens } = await createWorkspace(member.api, { name: `v-${++n}`, template_id: aiTemplate });
    const token = tokens.get('main')!;
    const slug = await appStatus(server.api, token, { app_slug: 'nope', state: 'idle', message: 'x' });
    expect(slug.status).toBe(400);
    expect(slug.body.message).toBe('Failed to get workspace app.');
    const state = await appStatus(server.api, token, { app_slug: 'claude-code', state: 'sleeping', message: 'x' });
    expect(state.status).toBe(400);
    expect(state.body.message).toBe('Invalid state provided.');
    const long = await appStatus(server.api, token, { app_slug: 'claude-code', state: 'idle', message: 'x'.repeat(161) });
    expect(long.status).toBe(400);
    expect(long.body.message).toBe('Message is too long.');
    expect((await appStatus(server.api, token, { app_slug: 'claude-code', state: 'idle', message: 'é'.repeat(81) })).status).toBe(400);
    expect((await appStatus(server.api, 'not-a-token', { app_slug: 'claude-code', state: 'idle', message: 'x' })).status).toBe(401);
    // A user's session token is not an agent token, and an agent token is not a session token.
    expect((await appStatus(server.api, member.api.token!, { app_slug: 'claude-code', state: 'idle', message: 'x' })).status).toBe(401);
    expect((await server.api.as(token).get('/users/me')).status).toBe(401);
    const stored = await server.db.query(`SELECT 1 FROM workspace_app_statuses WHERE workspace_id = $1`, [workspace.id]);
    expect(stored.rowCount).toBe(0);

    const ok = await appStatus(server.api, token, { app_slug: 'claude-code', state: 'working', message: '  <b>Reading</b>\n the   code ', uri: 'https://example.com/x' });
    expect(ok.status).toBe(200);
    const w = await member.api.get(`/workspaces/${workspace.id}`);
    expect(w.body.latest_app_status).toMatchObject({ state: 'working', message: 'Reading the code', uri: 'https://example.com/x' });
    const app = w.body.latest_build.resources[0].agents[0].apps.find((a: { slug: string }) => a.slug === 'claude-code');
    expect(app.statuses[0]).toMatchObject({ state: 'working', message: 'Reading the code' });
    // The token is shown once only.
    expect(w.body.latest_build.resources[0].agents[0].auth_token).toBeUndefined();
  });
});
