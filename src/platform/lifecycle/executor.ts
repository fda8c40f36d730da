import crypto from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import { LIFECYCLE_EXECUTOR_LOCK } from '../../db/locks.js';
import type { Logger } from '../../lib/logger.js';
import { systemClock, type Clock, type Service } from '../../lib/service.js';
import { Conflict } from '../../lib/errors.js';
import type { EventDeps } from '../deps.js';
import { getUserById, PREBUILDS_SYSTEM_USER_ID } from '../../auth/users/queries.js';
import { getVersion } from '../templates/queries.js';
import { createBuild, type BuildReason, type Transition } from '../workspaces/service.js';
import * as lq from './queries.js';
import { nextAllowedAutostart } from './schedule.js';
import * as notify from './notify.js';

export interface LifecycleExecutorDeps extends EventDeps {
  db: Database;
  clock?: Clock;
  /** Read at start: how often a tick runs (ms); 0 disables the timer (ticks can still be run by hand). */
  config: { tickInterval: number };
}

/** What one tick did; `leader` is false when another replica held the lock or already ran the tick. */
export interface TickResult {
  leader: boolean;
  tick: Date;
  transitions: Record<string, Transition>;
  dormant: string[];
  reminded: string[];
  errors: Record<string, string>;
}

/** Zero time ('0001-01-01'): no deadline. */
export const isZero = lq.isZeroTime;

/** A user counts as active (suppressing the autostop reminder) when seen this recently (reference: 15 minutes). */
const REMINDER_ACTIVE_THRESHOLD_MS = 15 * 60_000;
const DAY_MS = 24 * 3600_000;

interface Decision {
  transition?: Transition;
  reason?: BuildReason;
}

/** The reference's getNextTransition: the first rule that applies wins. */
export function nextTransition(s: lq.LifecycleState, t: lq.TemplateSchedule, tick: Date): Decision {
  const now = tick.getTime();
  const failed = s.job_status === 'failed';
  const dormant = !!s.dormant_at;
  // Autostop: at the deadline, or at once for a suspended owner.
  if (!failed && !dormant && s.transition === 'start') {
    if (s.owner_status === 'suspended') return { transition: 'stop', reason: 'autostop' };
    if (!isZero(s.deadline) && now >= s.deadline.getTime()) return { transition: 'stop', reason: 'autostop' };
    // The max deadline (the template's autostop requirement) is absolute: nothing extends past it.
    if (!isZero(s.max_deadline) && now >= s.max_deadline.getTime()) return { transition: 'stop', reason: 'autostop' };
  }
  // Autostart: the first schedule time after the stop build was created.
  if (s.owner_status === 'active' && !failed && !dormant && s.transition === 'stop' && t.allowUserAutostart && s.autostart_schedule) {
    let next: Date | undefined;
    try {
      next = nextAllowedAutostart(s.build_created_at, s.autostart_schedule, t.autostartAllowedDays);
    } catch {
      next = undefined;
    }
    if (next && now >= next.getTime()) return { transition: 'start', reason: 'autostart' };
  }
  // A failed start or stop is cleaned up by a stop after the template's failure TTL.
  if (t.failureTtlMs > 0 && failed && (s.transition === 'start' || s.transition === 'stop') && s.job_completed_at &&
      now - s.job_completed_at.getTime() >= t.failureTtlMs) {
    return { transition: 'stop', reason: 'autostop' };
  }
  // Dormancy: inactive past the template's threshold (stopping it first when it runs).
  if (!dormant && t.timeTilDormantMs > 0 && now - s.last_used_at.getTime() > t.timeTilDormantMs) {
    return s.transition === 'start' ? { transition: 'stop', reason: 'dormancy' } : { reason: 'dormancy' };
  }
  // Auto-delete: dormant past the template's auto-delete period; a failed delete is retried after a day.
  if (dormant && s.deleting_at && t.timeTilDormantAutodeleteMs > 0 && now > s.deleting_at.getTime()) {
    if (s.transition === 'delete' && failed) {
      if (s.job_completed_at && now - s.job_completed_at.getTime() > DAY_MS) return { transition: 'delete', reason: 'autodelete' };
      return {};
    }
    if (s.transition === 'delete' && (s.job_status === 'pending' || s.job_status === 'running')) return {};
    return { transition: 'delete', reason: 'autodelete' };
  }
  return {};
}

/** The reference's shouldRemindAutostop: once per deadline, inside the template's lead window. */
export function shouldRemindAutostop(s: lq.LifecycleState, t: lq.TemplateSchedule, tick: Date): boolean {
  if (t.timeTilAutostopNotifyMs <= 0 || s.transition !== 'start' || isZero(s.deadline) || s.job_status !== 'succeeded') return false;
  const now = tick.getTime();
  const deadline = s.deadline.getTime();
  if (deadline <= now || deadline > now + t.timeTilAutostopNotifyMs) return false;
  const userActive = now - s.last_used_at.getTime() < REMINDER_ACTIVE_THRESHOLD_MS;
  const trapped = !isZero(s.max_deadline) && s.max_deadline.getTime() <= now + t.timeTilAutostopNotifyMs;
  if (userActive && t.activityBumpMs > 0 && !trapped) return false;
  return s.notified_autostop_deadline.getTime() !== deadline;
}

/**
 * Starts workspaces on their autostart schedule, stops them at their deadline, applies the
 * automatic-update policy, makes inactive workspaces dormant and deletes dormant ones after the
 * template's auto-delete period. One replica runs each tick: it holds an advisory lock and
 * records the tick (the minute it stands for), so a tick another replica ran is skipped; every
 * workspace is then decided again under its row lock.
 */
export class LifecycleExecutor implements Service {
  private readonly log: Logger;
  private readonly deps: LifecycleExecutorDeps;
  private readonly clock: Clock;
  private readonly replica = crypto.randomUUID();
  private timer?: NodeJS.Timeout;
  private current?: Promise<TickResult>;

  constructor(deps: LifecycleExecutorDeps) {
    this.log = deps.log.child({ component: 'lifecycle-executor' });
    this.deps = { ...deps, log: this.log };
    this.clock = deps.clock ?? systemClock;
  }

  start(): void {
    const every = this.deps.config.tickInterval;
    if (every > 0) {
      this.timer = setInterval(() => void this.runOnce().catch((err) => this.log.error({ err }, 'lifecycle tick failed')), every);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  /** One tick now (or the one in progress on this replica). */
  runOnce(): Promise<TickResult> {
    this.current ??= this.tick(this.clock()).finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  private async tick(at: Date): Promise<TickResult> {
    const tick = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const result: TickResult = { leader: false, tick, transitions: {}, dormant: [], reminded: [], errors: {} };
    const db = this.deps.db;
    await db.withAdvisoryLock(
      LIFECYCLE_EXECUTOR_LOCK,
      async (lockq) => {
        if (!(await lq.claimTick(lockq, tick, this.replica))) return;
        result.leader = true;
        for (const id of await lq.lifecycleCandidates(db, PREBUILDS_SYSTEM_USER_ID)) {
          try {
            await db.tx((q) => this.decide(q, id, tick, result));
          } catch (err) {
            if (isUniqueViolation(err) || err instanceof Conflict) continue; // a concurrent build won: its actor notifies
            result.errors[id] = (err as Error).message;
            this.log.error({ err, workspace_id: id }, 'lifecycle transition failed');
          }
        }
      },
      { try: true },
    );
    if (Object.keys(result.transitions).length) this.log.info({ tick, transitions: result.transitions }, 'lifecycle tick');
    return result;
  }

  private async decide(q: Queryable, id: string, tick: Date, result: TickResult): Promise<void> {
    const s = await lq.lockLifecycleState(q, id);
    if (!s || s.deleted) return;
    const t = await lq.getTemplateSchedule(q, s.template_id);
    if (!t) return;
    const d = nextTransition(s, t, tick);
    if (!d.reason) {
      if (shouldRemindAutostop(s, t, tick)) {
        // Stamped before the send: at most one reminder per deadline.
        await lq.stampAutostopReminder(q, s.build_id, s.deadline);
        await notify.autostopReminder(this.deps, q, s, tick);
        result.reminded.push(s.id);
      }
      return;
    }
    if (d.transition) {
      const owner = await getUserById(q, s.owner_id);
      if (!owner) return;
      let templateVersionId: string | undefined;
      let autoUpdated = false;
      if (d.transition === 'start' && (t.requireActiveVersion || s.automatic_updates === 'always')) {
        templateVersionId = s.active_version_id;
        autoUpdated = s.build_version_id !== s.active_version_id;
      }
      await createBuild(this.deps, q, s.id, owner, { transition: d.transition, reason: d.reason, templateVersionId });
      result.transitions[s.id] = d.transition;
      if (autoUpdated) {
        const version = (await getVersion(q, s.active_version_id))!;
        await notify.autoUpdated(this.deps, q, s, version, d.reason);
      }
    }
    if (d.reason === 'dormancy') {
      const deletingAt = t.timeTilDormantAutodeleteMs > 0 ? new Date(tick.getTime() + t.timeTilDormantAutodeleteMs) : null;
      await lq.setDormant(q, s.id, tick, deletingAt);
      await notify.dormant(this.deps, q, s, { reason: 'inactivity exceeded the dormancy threshold', deletingAt, now: tick });
      result.dormant.push(s.id);
    }
  }
}
