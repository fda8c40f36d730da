import { expect } from 'vitest';
import type { Queryable } from '../../src/db/database.js';
import type { ApiHelper } from '../support/server.js';

export interface Message {
  id: string;
  user_id: string;
  notification_template_id: string;
  created_by: string;
  targets: string[] | null;
  payload: { labels: Record<string, string>; data: Record<string, unknown> | null; user_id: string };
}

/** Notification rows (inbox method: one per enqueue) for a template, oldest first. */
export async function messages(db: Queryable, templateId: string): Promise<Message[]> {
  const r = await db.query<Message>(
    `SELECT id, user_id, notification_template_id, created_by, targets, payload FROM notification_messages
     WHERE notification_template_id = $1 AND method = 'inbox' ORDER BY created_at, id`,
    [templateId],
  );
  return r.rows;
}

export const AI_DEFINITION = {
  resources: [
    {
      name: 'dev',
      type: 'docker_container',
      agents: [{ name: 'main', apps: [{ slug: 'claude-code', display_name: 'Claude Code' }, { slug: 'code-server' }] }],
    },
  ],
  has_ai_task: true,
  ai_task_sidebar_app: 'claude-code',
};

export const PLAIN_DEFINITION = {
  resources: [{ name: 'dev', type: 'docker_container', agents: [{ name: 'main', apps: [{ slug: 'code-server' }] }] }],
};

/** Uploads a version and creates a template from it; returns both ids. */
export async function createTemplate(
  api: ApiHelper,
  name: string,
  version: Record<string, unknown> = { definition: PLAIN_DEFINITION },
): Promise<{ templateId: string; versionId: string }> {
  const v = await api.post('/organizations/coder/templateversions', version);
  expect(v.status, JSON.stringify(v.body)).toBe(201);
  const t = await api.post('/organizations/coder/templates', { name, template_version_id: v.body.id });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  return { templateId: t.body.id, versionId: v.body.id };
}

export async function pushVersion(api: ApiHelper, templateId: string, version: Record<string, unknown>): Promise<string> {
  const v = await api.post('/organizations/coder/templateversions', { template_id: templateId, ...version });
  expect(v.status, JSON.stringify(v.body)).toBe(201);
  return v.body.id;
}

const BUSY = ['pending', 'starting', 'stopping', 'deleting'];

/** Agent tokens are shown to the workspace owner once, in whichever response first carries the agent. */
export function collectTokens(build: any, tokens: Map<string, string>): void {
  for (const res of build?.resources ?? []) {
    for (const a of res.agents ?? []) if (a.auth_token) tokens.set(a.name, a.auth_token);
  }
}

/** Polls the workspace until its latest build has finished; remembers agent tokens revealed on the way. */
export async function waitForBuild(api: ApiHelper, workspaceId: string, tokens?: Map<string, string>, timeoutMs = 10_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await api.get(`/workspaces/${workspaceId}?include_deleted=true`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (tokens) collectTokens(r.body.latest_build, tokens);
    if (!BUSY.includes(r.body.latest_build?.status)) return r.body;
    if (Date.now() > end) throw new Error(`build still ${r.body.latest_build?.status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** Creates a workspace for `user` and waits for its first build; returns the workspace and agent tokens. */
export async function createWorkspace(
  api: ApiHelper,
  body: Record<string, unknown>,
  user = 'me',
): Promise<{ workspace: any; tokens: Map<string, string> }> {
  const r = await api.post(`/users/${user}/workspaces`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const tokens = new Map<string, string>();
  collectTokens(r.body.latest_build, tokens);
  const workspace = await waitForBuild(api, r.body.id, tokens);
  return { workspace, tokens };
}

/** Opts a user into an opt-in (disabled by default) notification template. */
export async function optIn(api: ApiHelper, templateId: string): Promise<void> {
  const r = await api.put('/users/me/notifications/preferences', { template_disabled_map: { [templateId]: false } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

export async function appStatus(api: ApiHelper, token: string, body: Record<string, unknown>) {
  return api.as(undefined).call('PATCH', '/workspaceagents/me/app-status', body, { 'Coder-Session-Token': token });
}
