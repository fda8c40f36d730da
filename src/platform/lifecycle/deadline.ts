import type { Queryable } from '../../db/database.js';
import type { BuildRow, WorkspaceRow } from '../workspaces/queries.js';
import { getTemplateSchedule, isZeroTime, nsToMs, setBuildDeadline } from './queries.js';
import { PREBUILDS_SYSTEM_USER_ID as PREBUILDS_USER_ID } from '../../auth/users/queries.js';

/**
 * A start build that succeeded stops at now + the workspace's TTL (the reference sets the
 * deadline when the job completes). No TTL, or a template that does not let users autostop and
 * has no default TTL: no deadline.
 */
export async function setStartDeadline(q: Queryable, w: WorkspaceRow, build: BuildRow, now: Date): Promise<void> {
  const t = await getTemplateSchedule(q, w.template_id);
  if (!t) return;
  const ttlMs = t.allowUserAutostop ? nsToMs(w.ttl) || t.defaultTtlMs : t.defaultTtlMs;
  if (ttlMs <= 0 || w.owner_id === PREBUILDS_USER_ID) return;
  await setBuildDeadline(q, build.id, new Date(now.getTime() + ttlMs));
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
