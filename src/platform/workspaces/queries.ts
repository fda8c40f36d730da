import type { Queryable } from '../../db/database.js';
import type { NameValue } from '../templates/parameters.js';
import type { JobStatus } from '../provisioner/jobs.js';

export interface WorkspaceRow {
  id: string;
  created_at: Date;
  updated_at: Date;
  owner_id: string;
  owner_username: string;
  organization_id: string;
  organization_name: string;
  template_id: string;
  template_name: string;
  template_display_name: string;
  template_icon: string;
  template_active_version_id: string;
  name: string;
  deleted: boolean;
  autostart_schedule: string | null;
  ttl: string | null;
  last_used_at: Date;
  automatic_updates: string;
  dormant_at: Date | null;
  deleting_at: Date | null;
  owner_avatar_url: string;
  template_require_active_version: boolean;
}

const WS_COLS = `w.id, w.created_at, w.updated_at, w.owner_id, u.username AS owner_username, w.organization_id,
  o.name AS organization_name, w.template_id, t.name AS template_name, t.display_name AS template_display_name,
  t.icon AS template_icon, t.active_version_id AS template_active_version_id, w.name, w.deleted,
  w.autostart_schedule, w.ttl::text AS ttl, w.last_used_at, w.automatic_updates, w.dormant_at, w.deleting_at,
  u.avatar_url AS owner_avatar_url, t.require_active_version AS template_require_active_version`;
const WS_FROM = `workspaces w JOIN users u ON u.id = w.owner_id JOIN organizations o ON o.id = w.organization_id
  JOIN templates t ON t.id = w.template_id`;

export async function getWorkspace(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<WorkspaceRow | undefined> {
  const r = await q.query<WorkspaceRow>(`SELECT ${WS_COLS} FROM ${WS_FROM} WHERE w.id = $1 ${opts.forUpdate ? 'FOR UPDATE OF w' : ''}`, [id]);
  return r.rows[0];
}

/** The live workspace of that name, or (includeDeleted) the most recent deleted one. */
export async function getWorkspaceByOwnerAndName(q: Queryable, ownerId: string, name: string, includeDeleted = false): Promise<WorkspaceRow | undefined> {
  const r = await q.query<WorkspaceRow>(
    `SELECT ${WS_COLS} FROM ${WS_FROM} WHERE w.owner_id = $1 AND lower(w.name) = lower($2)
       AND (w.deleted = false OR $3::boolean) ORDER BY w.deleted, w.created_at DESC LIMIT 1`,
    [ownerId, name, includeDeleted],
  );
  return r.rows[0];
}

export interface WorkspaceFilter {
  ownerId?: string;
  ownerUsername?: string;
  templateName?: string;
  name?: string;
  limit: number;
  offset: number;
}

export async function listWorkspaces(q: Queryable, f: WorkspaceFilter): Promise<{ rows: WorkspaceRow[]; count: number }> {
  const where = ['w.deleted = false'];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('$?', `$${params.length}`));
  };
  if (f.ownerId) add('w.owner_id = $?', f.ownerId);
  if (f.ownerUsername) add('lower(u.username) = lower($?)', f.ownerUsername);
  if (f.templateName) add('lower(t.name) = lower($?)', f.templateName);
  if (f.name) add(`lower(w.name) LIKE '%' || lower($?) || '%'`, f.name);
  const w = where.join(' AND ');
  const count = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${WS_FROM} WHERE ${w}`, params);
  params.push(f.limit, f.offset);
  const r = await q.query<WorkspaceRow>(
    `SELECT ${WS_COLS} FROM ${WS_FROM} WHERE ${w} ORDER BY lower(u.username), lower(w.name)
     LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { rows: r.rows, count: count.rows[0].n };
}

export interface BuildRow {
  id: string;
  created_at: Date;
  updated_at: Date;
  workspace_id: string;
  template_version_id: string;
  template_version_name: string;
  build_number: number;
  transition: 'start' | 'stop' | 'delete';
  initiator_id: string;
  initiator_username: string;
  job_id: string;
  reason: string;
  deadline: Date;
  max_deadline: Date;
  daily_cost: number;
  template_version_preset_id: string | null;
  prebuild_stage: 'none' | 'create' | 'claim';
  has_ai_task: boolean | null;
  ai_task_sidebar_app_id: string | null;
  job_status: JobStatus;
}

const BUILD_COLS = `b.id, b.created_at, b.updated_at, b.workspace_id, b.template_version_id, v.name AS template_version_name,
  b.build_number, b.transition::text AS transition, b.initiator_id, iu.username AS initiator_username, b.job_id,
  b.reason::text AS reason, b.deadline, b.max_deadline, b.daily_cost, b.template_version_preset_id, b.prebuild_stage,
  b.has_ai_task, b.ai_task_sidebar_app_id, j.status::text AS job_status`;
const BUILD_FROM = `workspace_builds b JOIN template_versions v ON v.id = b.template_version_id
  JOIN users iu ON iu.id = b.initiator_id JOIN provisioner_jobs j ON j.id = b.job_id`;

export async function getBuild(q: Queryable, id: string): Promise<BuildRow | undefined> {
  const r = await q.query<BuildRow>(`SELECT ${BUILD_COLS} FROM ${BUILD_FROM} WHERE b.id = $1`, [id]);
  return r.rows[0];
}

export async function getBuildByJob(q: Queryable, jobId: string): Promise<BuildRow | undefined> {
  const r = await q.query<BuildRow>(`SELECT ${BUILD_COLS} FROM ${BUILD_FROM} WHERE b.job_id = $1`, [jobId]);
  return r.rows[0];
}

export async function latestBuild(q: Queryable, workspaceId: string): Promise<BuildRow | undefined> {
  const r = await q.query<BuildRow>(
    `SELECT ${BUILD_COLS} FROM ${BUILD_FROM} WHERE b.workspace_id = $1 ORDER BY b.build_number DESC LIMIT 1`,
    [workspaceId],
  );
  return r.rows[0];
}

export async function latestBuilds(q: Queryable, workspaceIds: string[]): Promise<Map<string, BuildRow>> {
  const r = await q.query<BuildRow>(
    `SELECT DISTINCT ON (b.workspace_id) ${BUILD_COLS} FROM ${BUILD_FROM}
     WHERE b.workspace_id = ANY($1::uuid[]) ORDER BY b.workspace_id, b.build_number DESC`,
    [workspaceIds],
  );
  return new Map(r.rows.map((b) => [b.workspace_id, b]));
}

export async function listBuilds(q: Queryable, workspaceId: string, limit: number, offset: number): Promise<BuildRow[]> {
  const r = await q.query<BuildRow>(
    `SELECT ${BUILD_COLS} FROM ${BUILD_FROM} WHERE b.workspace_id = $1 ORDER BY b.build_number DESC LIMIT $2 OFFSET $3`,
    [workspaceId, limit, offset],
  );
  return r.rows;
}

export async function buildParameters(q: Queryable, buildId: string): Promise<NameValue[]> {
  const r = await q.query<NameValue>(`SELECT name, value FROM workspace_build_parameters WHERE workspace_build_id = $1 ORDER BY name`, [buildId]);
  return r.rows;
}

export async function insertBuild(
  q: Queryable,
  b: {
    workspaceId: string;
    templateVersionId: string;
    buildNumber: number;
    transition: string;
    initiatorId: string;
    jobId: string;
    reason: string;
    presetId: string | null;
    prebuildStage: string;
    parameters: NameValue[];
    createdAt?: Date;
  },
): Promise<string> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO workspace_builds (workspace_id, template_version_id, build_number, transition, initiator_id, job_id,
       reason, template_version_preset_id, prebuild_stage, created_at)
     VALUES ($1, $2, $3, $4::workspace_transition, $5, $6, $7::build_reason, $8, $9, COALESCE($10, now())) RETURNING id`,
    [b.workspaceId, b.templateVersionId, b.buildNumber, b.transition, b.initiatorId, b.jobId, b.reason, b.presetId, b.prebuildStage, b.createdAt ?? null],
  );
  const id = r.rows[0].id;
  if (b.parameters.length) {
    await q.query(
      `INSERT INTO workspace_build_parameters (workspace_build_id, name, value)
       SELECT $1, n, v FROM unnest($2::text[], $3::text[]) AS x(n, v)`,
      [id, b.parameters.map((p) => p.name), b.parameters.map((p) => p.value)],
    );
  }
  return id;
}

/** A workspace's build by its number (the reference's /users/{user}/workspace/{name}/builds/{number}). */
export async function getBuildByNumber(q: Queryable, workspaceId: string, buildNumber: number): Promise<BuildRow | undefined> {
  const r = await q.query<BuildRow>(`SELECT ${BUILD_COLS} FROM ${BUILD_FROM} WHERE b.workspace_id = $1 AND b.build_number = $2`, [workspaceId, buildNumber]);
  return r.rows[0];
}

/** Where an agent lives: the workspace and the build (job) whose resources declared it. */
export async function agentPlace(q: Queryable, agentId: string): Promise<{ workspace_id: string; build_id: string; job_id: string } | undefined> {
  const r = await q.query<{ workspace_id: string; build_id: string; job_id: string }>(
    `SELECT b.workspace_id, b.id AS build_id, b.job_id FROM workspace_agents a
     JOIN workspace_resources r ON r.id = a.resource_id JOIN workspace_builds b ON b.job_id = r.job_id
     WHERE a.id = $1`,
    [agentId],
  );
  return r.rows[0];
}

/** Clears dormancy and the deletion date; the wake-up counts as use. */
export async function wakeDormant(q: Queryable, workspaceId: string, now: Date): Promise<void> {
  await q.query(
    `UPDATE workspaces SET dormant_at = NULL, deleting_at = NULL, last_used_at = GREATEST(last_used_at, $2), updated_at = now() WHERE id = $1`,
    [workspaceId, now],
  );
}
