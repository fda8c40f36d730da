import type { Queryable } from '../../db/database.js';

/**
 * The zero time ('0001-01-01', "no deadline"). node-postgres reads year 1 as 2001 (two-digit
 * year parsing), so anything up to 2001-01-01 counts as zero.
 */
export const isZeroTime = (d: Date | null | undefined): boolean => !d || d.getTime() <= Date.UTC(2001, 0, 1);

/** Nanoseconds (the reference's storage) ↔ milliseconds (its API). */
export const NS_PER_MS = 1_000_000;
export const nsToMs = (ns: string | number | null | undefined): number => (ns == null ? 0 : Math.floor(Number(ns) / NS_PER_MS));

/** A template's schedule options, durations in milliseconds. */
export interface TemplateSchedule {
  defaultTtlMs: number;
  activityBumpMs: number;
  allowUserAutostart: boolean;
  allowUserAutostop: boolean;
  autostopRequirementDays: number;
  autostopRequirementWeeks: number;
  /** Bitmap of the days autostart may run (Monday = bit 0). */
  autostartAllowedDays: number;
  failureTtlMs: number;
  timeTilDormantMs: number;
  timeTilDormantAutodeleteMs: number;
  requireActiveVersion: boolean;
  timeTilAutostopNotifyMs: number;
}

export interface ScheduleRow {
  default_ttl: string;
  activity_bump: string;
  allow_user_autostart: boolean;
  allow_user_autostop: boolean;
  autostop_requirement_days_of_week: number;
  autostop_requirement_weeks: string;
  autostart_block_days_of_week: number;
  failure_ttl: string;
  time_til_dormant: string;
  time_til_dormant_autodelete: string;
  require_active_version: boolean;
  time_til_autostop_notify: string;
}

/** The schedule columns, for a query aliasing templates as `t`. */
export const TEMPLATE_SCHEDULE_COLS = `t.default_ttl::text AS default_ttl, t.activity_bump::text AS activity_bump, t.allow_user_autostart, t.allow_user_autostop,
  t.autostop_requirement_days_of_week, t.autostop_requirement_weeks::text AS autostop_requirement_weeks, t.autostart_block_days_of_week,
  t.failure_ttl::text AS failure_ttl, t.time_til_dormant::text AS time_til_dormant, t.time_til_dormant_autodelete::text AS time_til_dormant_autodelete,
  t.require_active_version, t.time_til_autostop_notify::text AS time_til_autostop_notify`;


export function toSchedule(r: ScheduleRow): TemplateSchedule {
  return {
    defaultTtlMs: nsToMs(r.default_ttl),
    activityBumpMs: nsToMs(r.activity_bump),
    allowUserAutostart: r.allow_user_autostart,
    allowUserAutostop: r.allow_user_autostop,
    autostopRequirementDays: r.autostop_requirement_days_of_week,
    autostopRequirementWeeks: Number(r.autostop_requirement_weeks),
    autostartAllowedDays: ~r.autostart_block_days_of_week & 0b1111111,
    failureTtlMs: nsToMs(r.failure_ttl),
    timeTilDormantMs: nsToMs(r.time_til_dormant),
    timeTilDormantAutodeleteMs: nsToMs(r.time_til_dormant_autodelete),
    requireActiveVersion: r.require_active_version,
    timeTilAutostopNotifyMs: nsToMs(r.time_til_autostop_notify),
  };
}

export async function getTemplateSchedule(q: Queryable, templateId: string): Promise<TemplateSchedule | undefined> {
  const r = await q.query<ScheduleRow>(`SELECT ${TEMPLATE_SCHEDULE_COLS} FROM templates t WHERE t.id = $1`, [templateId]);
  return r.rows[0] && toSchedule(r.rows[0]);
}

export async function setTemplateSchedule(q: Queryable, templateId: string, s: TemplateSchedule, now: Date): Promise<void> {
  const ns = (ms: number) => String(BigInt(Math.round(ms)) * BigInt(NS_PER_MS));
  await q.query(
    `UPDATE templates SET default_ttl = $2, activity_bump = $3, allow_user_autostart = $4, allow_user_autostop = $5,
       autostop_requirement_days_of_week = $6, autostop_requirement_weeks = $7, autostart_block_days_of_week = $8,
       failure_ttl = $9, time_til_dormant = $10, time_til_dormant_autodelete = $11, require_active_version = $12,
       time_til_autostop_notify = $13, updated_at = $14
     WHERE id = $1`,
    [
      templateId, ns(s.defaultTtlMs), ns(s.activityBumpMs), s.allowUserAutostart, s.allowUserAutostop,
      s.autostopRequirementDays, s.autostopRequirementWeeks, ~s.autostartAllowedDays & 0b1111111,
      ns(s.failureTtlMs), ns(s.timeTilDormantMs), ns(s.timeTilDormantAutodeleteMs), s.requireActiveVersion,
      ns(s.timeTilAutostopNotifyMs), now,
    ],
  );
}

/** What the executor decides on: the workspace, its latest build and job, and its owner. */
export interface LifecycleState {
  id: string;
  name: string;
  owner_id: string;
  owner_status: string;
  template_id: string;
  organization_id: string;
  deleted: boolean;
  autostart_schedule: string | null;
  ttl: string | null;
  last_used_at: Date;
  dormant_at: Date | null;
  deleting_at: Date | null;
  automatic_updates: string;
  active_version_id: string;
  build_id: string;
  build_version_id: string;
  transition: 'start' | 'stop' | 'delete';
  build_created_at: Date;
  deadline: Date;
  max_deadline: Date;
  notified_autostop_deadline: Date;
  job_status: string;
  job_completed_at: Date | null;
}

const STATE_SQL = `SELECT w.id, w.name, w.owner_id, u.status::text AS owner_status, w.template_id, w.organization_id, w.deleted,
    w.autostart_schedule, w.ttl::text AS ttl, w.last_used_at, w.dormant_at, w.deleting_at, w.automatic_updates,
    t.active_version_id, b.id AS build_id, b.template_version_id AS build_version_id, b.transition::text AS transition,
    b.created_at AS build_created_at, b.deadline, b.max_deadline, b.notified_autostop_deadline,
    j.status::text AS job_status, j.completed_at AS job_completed_at
  FROM workspaces w JOIN users u ON u.id = w.owner_id JOIN templates t ON t.id = w.template_id
  JOIN LATERAL (SELECT * FROM workspace_builds WHERE workspace_id = w.id ORDER BY build_number DESC LIMIT 1) b ON true
  JOIN provisioner_jobs j ON j.id = b.job_id`;

/** Live, non-prebuilt workspaces whose template or settings could make something due (re-checked per workspace). */
export async function lifecycleCandidates(q: Queryable, prebuildsUserId: string): Promise<string[]> {
  const r = await q.query<{ id: string }>(
    `SELECT w.id FROM workspaces w JOIN templates t ON t.id = w.template_id
     WHERE w.deleted = false AND w.owner_id <> $1
       AND (w.autostart_schedule IS NOT NULL OR w.dormant_at IS NOT NULL OR t.time_til_dormant > 0 OR t.failure_ttl > 0
            OR EXISTS (SELECT 1 FROM workspace_builds b WHERE b.workspace_id = w.id AND b.transition = 'start'
                       AND b.deadline > '0001-01-02') OR EXISTS (SELECT 1 FROM users u WHERE u.id = w.owner_id AND u.status <> 'active'))
     ORDER BY w.id`,
    [prebuildsUserId],
  );
  return r.rows.map((x) => x.id);
}

/** The workspace's lifecycle state, its row locked for the rest of the transaction. */
export async function lockLifecycleState(q: Queryable, workspaceId: string): Promise<LifecycleState | undefined> {
  const locked = await q.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, [workspaceId]);
  if (!locked.rowCount) return undefined;
  const r = await q.query<LifecycleState>(`${STATE_SQL} WHERE w.id = $1`, [workspaceId]);
  return r.rows[0];
}

/** Claims the tick for this replica; false when another replica already ran it. */
export async function claimTick(q: Queryable, tick: Date, replica: string): Promise<boolean> {
  const r = await q.query(`INSERT INTO lifecycle_executor_ticks (tick, replica) VALUES ($1, $2) ON CONFLICT (tick) DO NOTHING`, [tick, replica]);
  return (r.rowCount ?? 0) > 0;
}

export async function setDormant(q: Queryable, workspaceId: string, dormantAt: Date | null, deletingAt: Date | null): Promise<void> {
  await q.query(`UPDATE workspaces SET dormant_at = $2, deleting_at = $3, updated_at = now() WHERE id = $1`, [workspaceId, dormantAt, deletingAt]);
}

export async function setBuildDeadline(q: Queryable, buildId: string, deadline: Date, maxDeadline?: Date): Promise<void> {
  await q.query(
    `UPDATE workspace_builds SET deadline = $2, max_deadline = COALESCE($3, max_deadline), updated_at = now() WHERE id = $1`,
    [buildId, deadline, maxDeadline ?? null],
  );
}

export async function stampAutostopReminder(q: Queryable, buildId: string, deadline: Date): Promise<void> {
  await q.query(`UPDATE workspace_builds SET notified_autostop_deadline = $2 WHERE id = $1`, [buildId, deadline]);
}
