import type { Database, Queryable } from '../../db/database.js';
import { setSiteConfig } from '../../db/site-config.js';
import { PREBUILDS_SETTINGS_KEY, prebuildsPaused } from '../prebuilds/queries.js';
import { Forbidden, Invalid, NotFound } from '../../lib/errors.js';
import { systemClock, type Clock } from '../../lib/service.js';
import type { EventDeps } from '../deps.js';
import type { Viewer, WorkspaceJson } from '../workspaces/service.js';
import { WorkspaceDeleted } from '../workspaces/service.js';
import * as wq from '../workspaces/queries.js';
import { presentWorkspaces, snapshot } from '../workspaces/present.js';
import { displayName } from '../../auth/users/events.js';
import * as lq from './queries.js';
import { daysToBitmap, ScheduleError } from './schedule.js';
import type { TemplateScheduleJson } from './present.js';
export { presentSchedule, type TemplateScheduleJson } from './present.js';
import { validateAutomaticUpdates, validateAutostart, validateTtl } from './validate.js';
import { bumpActivity, quietHoursOf, recomputeMaxDeadlines } from './deadline.js';
import { DEFAULT_QUIET_HOURS_SCHEDULE, nextQuietHours, parseDaily } from './autostop.js';
import type { UserRow } from '../../auth/users/queries.js';

async function userSetQuietHours(q: Queryable, userId: string): Promise<boolean> {
  const r = await q.query<{ s: string }>(`SELECT quiet_hours_schedule AS s FROM users WHERE id = $1`, [userId]);
  return !!r.rows[0]?.s;
}

function presentQuietHours(raw: string, userSet: boolean, now: Date): QuietHoursJson {
  const d = parseDaily(raw);
  return { raw_schedule: raw, user_set: userSet, user_can_set: true, time: d.time, timezone: d.tz, next: nextQuietHours(raw, now).toISOString() };
}
import * as notify from './notify.js';

export type TemplateScheduleInput = Partial<Omit<TemplateScheduleJson, 'autostop_requirement' | 'autostart_requirement'>> & {
  autostop_requirement?: { days_of_week?: string[]; weeks?: number };
  autostart_requirement?: { days_of_week?: string[] };
  update_workspace_last_used_at?: boolean;
  update_workspace_dormant_at?: boolean;
};

const hasScheduleField = (i: TemplateScheduleInput) =>
  ['default_ttl_ms', 'activity_bump_ms', 'allow_user_autostart', 'allow_user_autostop', 'autostop_requirement', 'autostart_requirement',
    'failure_ttl_ms', 'time_til_dormant_ms', 'time_til_dormant_autodelete_ms', 'require_active_version', 'time_til_autostop_notify_ms',
    'update_workspace_last_used_at', 'update_workspace_dormant_at'].some((k) => (i as Record<string, unknown>)[k] !== undefined);

function nonNegative(v: number | undefined, field: string): void {
  if (v !== undefined && v < 0) throw new Invalid('Invalid request to update template metadata!', undefined, [{ field, detail: 'Must be a positive integer.' }]);
}

/**
 * PATCH /templates/{id} schedule fields, in the caller's transaction. A new auto-delete period
 * moves every dormant workspace's deletion date and tells its owner (Workspace Marked for
 * Deletion); turning it off clears the dates and tells nobody.
 */
export async function updateTemplateSchedule(deps: EventDeps, q: Queryable, templateId: string, i: TemplateScheduleInput): Promise<void> {
  if (!hasScheduleField(i)) return;
  const now = (deps.clock ?? systemClock)();
  const old = (await lq.getTemplateSchedule(q, templateId))!;
  for (const f of ['default_ttl_ms', 'activity_bump_ms', 'failure_ttl_ms', 'time_til_dormant_ms', 'time_til_dormant_autodelete_ms', 'time_til_autostop_notify_ms'] as const) {
    nonNegative(i[f], f);
  }
  if (i.default_ttl_ms !== undefined && i.default_ttl_ms > 30 * 24 * 3600_000) {
    throw new Invalid('Invalid request to update template metadata!', undefined, [{ field: 'default_ttl_ms', detail: 'Must be less than 30 days.' }]);
  }
  const days = (list: string[] | undefined, field: string, fallback: number) => {
    if (list === undefined) return fallback;
    try {
      return daysToBitmap(list);
    } catch (err) {
      if (err instanceof ScheduleError) throw new Invalid('Invalid request to update template metadata!', undefined, [{ field, detail: err.message }]);
      throw err;
    }
  };
  const weeks = i.autostop_requirement?.weeks ?? old.autostopRequirementWeeks;
  if (weeks < 1 || weeks > 16) {
    throw new Invalid('Invalid request to update template metadata!', undefined, [{ field: 'autostop_requirement.weeks', detail: 'Must be between 1 and 16.' }]);
  }
  const next: lq.TemplateSchedule = {
    defaultTtlMs: i.default_ttl_ms ?? old.defaultTtlMs,
    activityBumpMs: i.activity_bump_ms ?? old.activityBumpMs,
    allowUserAutostart: i.allow_user_autostart ?? old.allowUserAutostart,
    allowUserAutostop: i.allow_user_autostop ?? old.allowUserAutostop,
    autostopRequirementDays: days(i.autostop_requirement?.days_of_week, 'autostop_requirement.days_of_week', old.autostopRequirementDays),
    autostopRequirementWeeks: weeks,
    autostartAllowedDays: days(i.autostart_requirement?.days_of_week, 'autostart_requirement.days_of_week', old.autostartAllowedDays),
    failureTtlMs: i.failure_ttl_ms ?? old.failureTtlMs,
    timeTilDormantMs: i.time_til_dormant_ms ?? old.timeTilDormantMs,
    timeTilDormantAutodeleteMs: i.time_til_dormant_autodelete_ms ?? old.timeTilDormantAutodeleteMs,
    requireActiveVersion: i.require_active_version ?? old.requireActiveVersion,
    timeTilAutostopNotifyMs: i.time_til_autostop_notify_ms ?? old.timeTilAutostopNotifyMs,
  };
  await lq.setTemplateSchedule(q, templateId, next, now);
  if (next.autostopRequirementDays !== old.autostopRequirementDays || next.autostopRequirementWeeks !== old.autostopRequirementWeeks) {
    await recomputeMaxDeadlines(q, templateId, now);
  }
  if (i.update_workspace_last_used_at) {
    await q.query(`UPDATE workspaces SET last_used_at = $2 WHERE template_id = $1 AND deleted = false`, [templateId, now]);
  }
  if (i.update_workspace_dormant_at) {
    await q.query(`UPDATE workspaces SET dormant_at = $2 WHERE template_id = $1 AND deleted = false AND dormant_at IS NOT NULL`, [templateId, now]);
  }
  if (next.timeTilDormantAutodeleteMs !== old.timeTilDormantAutodeleteMs || i.update_workspace_dormant_at) {
    const marked = await q.query<{ id: string; name: string; owner_id: string; template_id: string; organization_id: string; deleting_at: Date | null }>(
      `UPDATE workspaces SET deleting_at = CASE WHEN $2::bigint > 0 THEN dormant_at + ($2::bigint * interval '1 millisecond') END
       WHERE template_id = $1 AND deleted = false AND dormant_at IS NOT NULL
       RETURNING id, name, owner_id, template_id, organization_id, deleting_at`,
      [templateId, next.timeTilDormantAutodeleteMs],
    );
    for (const w of marked.rows) {
      if (!w.deleting_at) continue;
      await notify.markedForDeletion(deps, q, w, { reason: "an update to the template's dormancy", deletingAt: w.deleting_at, now });
    }
  }
}

export interface QuietHoursActor {
  userId: string;
  readOthers: boolean;
  updateOthers: boolean;
}

export interface QuietHoursJson {
  raw_schedule: string;
  user_set: boolean;
  user_can_set: boolean;
  time: string;
  timezone: string;
  next: string;
}

export interface LifecycleService {
  setAutostart(viewer: Viewer, workspaceId: string, schedule: string | null | undefined): Promise<void>;
  setTtl(viewer: Viewer, workspaceId: string, ttlMs: number | null | undefined): Promise<void>;
  setDormant(viewer: Viewer, workspaceId: string, dormant: boolean): Promise<WorkspaceJson>;
  setAutomaticUpdates(viewer: Viewer, workspaceId: string, value: string): Promise<void>;
  /** Agent activity (connections, sessions): bumps the deadline and last use. */
  reportActivity(workspaceId: string): Promise<void>;
  /** The user's quiet hours (the max deadline's time of day); `who` may read or change others' when allowed. */
  quietHours(who: QuietHoursActor, user: UserRow): Promise<QuietHoursJson>;
  setQuietHours(who: QuietHoursActor, user: UserRow, schedule: string): Promise<QuietHoursJson>;
  prebuildsSettings(): Promise<{ reconciliation_paused: boolean }>;
  setPrebuildsSettings(s: { reconciliation_paused: boolean }): Promise<{ reconciliation_paused: boolean }>;
}

export function createLifecycleService(deps: EventDeps & { db: Database; clock?: Clock; onPrebuildsPaused?: (paused: boolean) => void }): LifecycleService {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;

  /** The workspace, if the viewer may change it; locked for the caller's transaction. */
  async function writable(q: Queryable, viewer: Viewer, id: string): Promise<wq.WorkspaceRow> {
    const w = await wq.getWorkspace(q, id, { forUpdate: true });
    if (!w || (w.owner_id !== viewer.user.id && !viewer.readAny)) throw new NotFound();
    if (w.deleted) throw new WorkspaceDeleted(`Workspace "${w.name}" was deleted.`);
    if (w.owner_id !== viewer.user.id && !viewer.updateAny) throw new Forbidden('You do not have permission to update this workspace.');
    return w;
  }

  return {
    async setAutostart(viewer, id, schedule) {
      await db.tx(async (q) => {
        const w = await writable(q, viewer, id);
        if (schedule) {
          validateAutostart(schedule, 'schedule');
          const t = (await lq.getTemplateSchedule(q, w.template_id))!;
          if (!t.allowUserAutostart) throw new Forbidden('Autostart is not allowed for workspaces using this template.');
        }
        await q.query(`UPDATE workspaces SET autostart_schedule = $2, updated_at = now() WHERE id = $1`, [w.id, schedule || null]);
      });
    },

    async setTtl(viewer, id, ttlMs) {
      await db.tx(async (q) => {
        const w = await writable(q, viewer, id);
        if (ttlMs) validateTtl(ttlMs);
        const t = (await lq.getTemplateSchedule(q, w.template_id))!;
        if (!t.allowUserAutostop) throw new Invalid('Time until shutdown must be the template default.', undefined, [{ field: 'ttl_ms', detail: 'the template does not allow users to set a TTL' }]);
        await q.query(`UPDATE workspaces SET ttl = $2, updated_at = now() WHERE id = $1`, [w.id, ttlMs ? ttlMs * lq.NS_PER_MS : null]);
      });
    },

    async setDormant(viewer, id, dormant) {
      await db.tx(async (q) => {
        const w = await writable(q, viewer, id);
        const now = clock();
        if (dormant) {
          if (w.dormant_at) return;
          const t = (await lq.getTemplateSchedule(q, w.template_id))!;
          const deletingAt = t.timeTilDormantAutodeleteMs > 0 ? new Date(now.getTime() + t.timeTilDormantAutodeleteMs) : null;
          await lq.setDormant(q, w.id, now, deletingAt);
          // The reference tells the owner only when someone else made the workspace dormant.
          if (viewer.user.id !== w.owner_id) {
            await notify.dormant(deps, q, w, {
              reason: `a ${viewer.user.username} request`,
              initiator: displayName(viewer.user),
              deletingAt,
              now,
              createdBy: 'api',
            });
          }
        } else {
          await lq.setDormant(q, w.id, null, null);
          await q.query(`UPDATE workspaces SET last_used_at = $2 WHERE id = $1`, [w.id, now]);
        }
      });
      return snapshot(db, async (q) => (await presentWorkspaces(q, [(await wq.getWorkspace(q, id))!]))[0]);
    },

    async setAutomaticUpdates(viewer, id, value) {
      validateAutomaticUpdates(value);
      await db.tx(async (q) => {
        const w = await writable(q, viewer, id);
        await q.query(`UPDATE workspaces SET automatic_updates = $2, updated_at = now() WHERE id = $1`, [w.id, value]);
      });
    },

    async reportActivity(workspaceId) {
      await db.tx((q) => bumpActivity(q, workspaceId, clock()));
    },

    async quietHours(who, user) {
      if (who.userId !== user.id && !who.readOthers) throw new Forbidden("You may not read this user's quiet hours.");
      return presentQuietHours(await quietHoursOf(db, user.id), await userSetQuietHours(db, user.id), clock());
    },

    async setQuietHours(who, user, schedule) {
      if (who.userId !== user.id && !who.updateOthers) throw new Forbidden("You may not change this user's quiet hours.");
      const raw = schedule.trim();
      if (raw) {
        try {
          parseDaily(raw);
        } catch (err) {
          if (err instanceof ScheduleError) throw new Invalid('Invalid quiet hours schedule.', err.message, [{ field: 'schedule', detail: err.message }]);
          throw err;
        }
      }
      await db.query(`UPDATE users SET quiet_hours_schedule = $2, updated_at = now() WHERE id = $1`, [user.id, raw]);
      return presentQuietHours(raw || DEFAULT_QUIET_HOURS_SCHEDULE, !!raw, clock());
    },

    async prebuildsSettings() {
      return { reconciliation_paused: await prebuildsPaused(db) };
    },

    async setPrebuildsSettings(s) {
      await setSiteConfig(db, PREBUILDS_SETTINGS_KEY, JSON.stringify({ reconciliation_paused: s.reconciliation_paused }));
      deps.onPrebuildsPaused?.(s.reconciliation_paused);
      return { reconciliation_paused: s.reconciliation_paused };
    },
  };
}
