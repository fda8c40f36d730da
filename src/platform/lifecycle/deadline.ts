import type { Queryable } from '../../db/database.js';
import type { BuildRow, WorkspaceRow } from '../workspaces/queries.js';
import { getTemplateSchedule, isZeroTime, nsToMs, setBuildDeadline } from './queries.js';
import { calculateAutostop, computeMaxDeadline, DEFAULT_QUIET_HOURS_SCHEDULE } from './autostop.js';
import { PREBUILDS_SYSTEM_USER_ID as PREBUILDS_USER_ID } from '../../auth/users/queries.js';

/**
 * A start build that succeeded stops at now + the workspace's TTL (the reference sets the
 * deadline when the job completes), and never later than its max deadline: the template's
 * autostop requirement at the owner's quiet hours. No TTL and no requirement: no deadline.
 */
export async function setStartDeadline(q: Queryable, w: WorkspaceRow, build: BuildRow, now: Date): Promise<void> {
  const t = await getTemplateSchedule(q, w.template_id);
  if (!t || w.owner_id === PREBUILDS_USER_ID) return;
  const ttlMs = t.allowUserAutostop ? nsToMs(w.ttl) || t.defaultTtlMs : t.defaultTtlMs;
  const a = calculateAutostop(now, {
    ttlMs,
    quietHours: await quietHoursOf(q, w.owner_id),
    days: t.autostopRequirementDays,
    weeks: t.autostopRequirementWeeks,
  });
  if (!a.deadline) return;
  await setBuildDeadline(q, build.id, a.deadline, a.maxDeadline);
}

/** The owner's quiet-hours schedule, or the deployment default. */
export async function quietHoursOf(q: Queryable, userId: string): Promise<string> {
  const r = await q.query<{ quiet_hours_schedule: string }>(`SELECT quiet_hours_schedule FROM users WHERE id = $1`, [userId]);
  return r.rows[0]?.quiet_hours_schedule || DEFAULT_QUIET_HOURS_SCHEDULE;
}

/**
 * The template's autostop requirement changed: recompute the max deadline of every running
 * build from its job's completion (the reference's updateWorkspaceBuilds). Builds already within
 * two hours of their max deadline are left alone; a new max deadline is never sooner than two
 * hours from now, so nobody is stopped without warning.
 */
export async function recomputeMaxDeadlines(q: Queryable, templateId: string, now: Date): Promise<void> {
  const t = await getTemplateSchedule(q, templateId);
  if (!t) return;
  const r = await q.query<{ id: string; owner_id: string; deadline: Date; max_deadline: Date; completed_at: Date }>(
    `SELECT b.id, w.owner_id, b.deadline, b.max_deadline, j.completed_at
     FROM workspaces w
     JOIN LATERAL (SELECT * FROM workspace_builds WHERE workspace_id = w.id ORDER BY build_number DESC LIMIT 1) b ON true
     JOIN provisioner_jobs j ON j.id = b.job_id
     WHERE w.template_id = $1 AND w.deleted = false AND w.owner_id <> $2 AND b.transition = 'start' AND j.status = 'succeeded'`,
    [templateId, PREBUILDS_USER_ID],
  );
  const grace = now.getTime() + 2 * 3600_000;
  for (const b of r.rows) {
    if (!isZeroTime(b.max_deadline) && b.max_deadline.getTime() < grace) continue;
    // From the job's completion (the reference's choice), never from a time after now.
    const from = b.completed_at && b.completed_at < now ? b.completed_at : now;
    let max = computeMaxDeadline(from, await quietHoursOf(q, b.owner_id), t.autostopRequirementDays, t.autostopRequirementWeeks);
    if (max && max.getTime() < grace) max = new Date(grace);
    let deadline = isZeroTime(b.deadline) ? undefined : b.deadline;
    if (max && (!deadline || deadline > max)) deadline = max;
    await q.query(`UPDATE workspace_builds SET deadline = COALESCE($2, '0001-01-01 00:00:00+00'::timestamptz),
         max_deadline = COALESCE($3, '0001-01-01 00:00:00+00'::timestamptz), updated_at = now() WHERE id = $1`,
      [b.id, deadline ?? null, max ?? null],
    );
  }
}


/**
 * Activity (agent connections, app use) bumps a running workspace's deadline to now + the
 * template's activity bump when it would stop sooner, never past its max deadline; it also
 * records the use (dormancy counts from it).
 */
export async function bumpActivity(q: Queryable, workspaceId: string, now: Date): Promise<void> {
  await q.query(`UPDATE workspaces SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1`, [workspaceId, now]);
  const r = await q.query<{ id: string; deadline: Date; max_deadline: Date; activity_bump: string }>(
    `SELECT b.id, b.deadline, b.max_deadline, t.activity_bump::text AS activity_bump
     FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id JOIN workspaces w ON w.id = b.workspace_id
     JOIN templates t ON t.id = w.template_id
     WHERE b.workspace_id = $1 AND b.transition = 'start' AND j.status = 'succeeded'
       AND b.build_number = (SELECT max(build_number) FROM workspace_builds WHERE workspace_id = $1)
     FOR UPDATE OF b`,
    [workspaceId],
  );
  const b = r.rows[0];
  const bumpMs = nsToMs(b?.activity_bump);
  if (!b || bumpMs <= 0 || isZeroTime(b.deadline)) return;
  let next = now.getTime() + bumpMs;
  if (!isZeroTime(b.max_deadline)) next = Math.min(next, b.max_deadline.getTime());
  if (next > b.deadline.getTime()) await setBuildDeadline(q, b.id, new Date(next));
}
