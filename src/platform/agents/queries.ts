import crypto from 'node:crypto';
import type { Queryable } from '../../db/database.js';

export type AppStatusState = 'working' | 'idle' | 'complete' | 'failure';
export const APP_STATUS_STATES: readonly AppStatusState[] = ['working', 'idle', 'complete', 'failure'];

export const hashAgentToken = (token: string): Buffer => crypto.createHash('sha256').update(token.trim()).digest();

export interface AgentRow {
  id: string;
  name: string;
  resource_id: string;
  lifecycle_state: string;
  workspace_id: string;
  build_id: string;
}

/**
 * The agent a token belongs to, with the workspace and build that created it — only while that
 * build is the workspace's latest (a stop, a rebuild or a delete ends it), the workspace is not
 * deleted and its owner is neither deleted nor suspended.
 */
export async function agentByToken(q: Queryable, token: string): Promise<AgentRow | undefined> {
  const r = await q.query<AgentRow>(
    `SELECT a.id, a.name, a.resource_id, a.lifecycle_state::text AS lifecycle_state, b.workspace_id, b.id AS build_id
     FROM workspace_agents a
     JOIN workspace_resources r ON r.id = a.resource_id
     JOIN workspace_builds b ON b.job_id = r.job_id
     JOIN workspaces w ON w.id = b.workspace_id
     JOIN users u ON u.id = w.owner_id
     WHERE a.auth_token_hash = $1
       AND w.deleted = false
       AND u.deleted = false AND u.status <> 'suspended'
       AND b.build_number = (SELECT max(build_number) FROM workspace_builds WHERE workspace_id = w.id)`,
    [hashAgentToken(token)],
  );
  return r.rows[0];
}

export interface AppRow {
  id: string;
  agent_id: string;
  slug: string;
}

/** The agent's app by slug, locked so status changes of one app are serialised. */
export async function appBySlugForUpdate(q: Queryable, agentId: string, slug: string): Promise<AppRow | undefined> {
  const r = await q.query<AppRow>(`SELECT id, agent_id, slug FROM workspace_apps WHERE agent_id = $1 AND slug = $2 FOR UPDATE`, [agentId, slug]);
  return r.rows[0];
}

export interface AppStatusRow {
  id: string;
  created_at: Date;
  agent_id: string;
  app_id: string;
  workspace_id: string;
  state: AppStatusState;
  message: string;
  uri: string | null;
}

const STATUS_COLS = `id, created_at, agent_id, app_id, workspace_id, state::text AS state, message, uri`;

/** GetLatestWorkspaceAppStatusesByAppID: every status of the app, newest first. */
export async function latestStatusesByApp(q: Queryable, appId: string, limit = 100): Promise<AppStatusRow[]> {
  const r = await q.query<AppStatusRow>(
    `SELECT ${STATUS_COLS} FROM workspace_app_statuses WHERE app_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    [appId, limit],
  );
  return r.rows;
}

export async function insertAppStatus(
  q: Queryable,
  s: { agentId: string; appId: string; workspaceId: string; state: AppStatusState; message: string; uri: string | null },
): Promise<AppStatusRow> {
  const r = await q.query<AppStatusRow>(
    `INSERT INTO workspace_app_statuses (created_at, agent_id, app_id, workspace_id, state, message, uri)
     VALUES (clock_timestamp(), $1, $2, $3, $4::workspace_app_status_state, $5, $6) RETURNING ${STATUS_COLS}`,
    [s.agentId, s.appId, s.workspaceId, s.state, s.message, s.uri],
  );
  return r.rows[0];
}

/** The newest status of each workspace (for the Workspace's latest_app_status). */
export async function latestStatusByWorkspace(q: Queryable, workspaceIds: string[]): Promise<Map<string, AppStatusRow>> {
  const r = await q.query<AppStatusRow>(
    `SELECT DISTINCT ON (workspace_id) ${STATUS_COLS} FROM workspace_app_statuses
     WHERE workspace_id = ANY($1::uuid[]) ORDER BY workspace_id, created_at DESC, id DESC`,
    [workspaceIds],
  );
  return new Map(r.rows.map((s) => [s.workspace_id, s]));
}

export function presentAppStatus(s: AppStatusRow) {
  return {
    id: s.id,
    created_at: s.created_at.toISOString(),
    workspace_id: s.workspace_id,
    agent_id: s.agent_id,
    app_id: s.app_id,
    state: s.state,
    message: s.message,
    uri: s.uri ?? '',
    // Deprecated in the reference, still in its type: Herald stores neither.
    icon: '',
    needs_user_attention: false,
  };
}
