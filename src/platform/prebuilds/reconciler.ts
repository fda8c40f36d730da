import crypto from 'node:crypto';
import type { Database } from '../../db/database.js';
import { systemClock, type Clock, type Service } from '../../lib/service.js';
import type { Logger } from '../../lib/logger.js';
import type { Config } from '../../lib/config.js';
import { Invalid } from '../../lib/errors.js';
import type { ClaimDeps } from './claim.js';
import { getUserById, PREBUILDS_SYSTEM_USER_ID, type UserRow } from '../../auth/users/queries.js';
import { createBuild } from '../workspaces/service.js';
import { safely } from '../events.js';
import * as pq from './queries.js';
import type { PresetMetricLabels } from './metrics.js';
import { notifyFailureLimitReached } from './notify.js';

/** Advisory lock held by the replica running a reconciliation pass (one leader per pass). */
import { PREBUILDS_RECONCILER_LOCK } from '../../db/locks.js';
export { PREBUILDS_RECONCILER_LOCK };

export interface ReconcilerDeps extends ClaimDeps {
  db: Database;
  /** Read on every pass, so a changed setting applies to the next one. */
  config: Config['prebuilds'];
  clock?: Clock;
}

/** What one pass did; `leader` is false when another replica held the lock. */
export interface ReconcileResult {
  leader: boolean;
  created: number;
  deleted: number;
  hardLimited: string[];
  backedOff: string[];
}

/** What the reconciler decided for one preset of an active version. */
export interface PresetState {
  preset: pq.DesiredPreset;
  running: pq.PrebuiltWorkspace[];
  starting: number;
  deleting: number;
  failed: number;
  hardLimited: boolean;
}

const BUSY = new Set(['pending', 'running']);

function labelsOf(p: pq.DesiredPreset): PresetMetricLabels {
  return { template_name: p.template_name, preset_name: p.preset_name, organization_name: p.organization_name };
}

/** Count of trailing failed start builds of a preset's prebuilt workspaces, and when the last one ended. */
function failureStreak(ws: pq.PrebuiltWorkspace[]): { count: number; lastAt?: Date } {
  const starts = ws.filter((w) => w.transition === 'start').sort((a, b) => b.build_created_at.getTime() - a.build_created_at.getTime());
  let count = 0;
  for (const w of starts) {
    if (w.job_status !== 'failed') break;
    count++;
  }
  return { count, lastAt: count ? (starts[0].job_completed_at ?? starts[0].build_created_at) : undefined };
}

/**
 * Keeps `desired_instances` prebuilt workspaces (owned by the prebuilds system user) for every
 * preset of every template's active version. Each pass runs on one replica only (advisory lock,
 * try-acquire), so replicas never create the same workspaces twice.
 */
export class PrebuildsReconciler implements Service {
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private current?: Promise<ReconcileResult>;
  private stopped = true;

  private readonly deps: ReconcilerDeps;
  private readonly clock: Clock;

  constructor(deps: ReconcilerDeps) {
    this.log = deps.log.child({ component: 'prebuilds-reconciler' });
    this.deps = { ...deps, log: this.log };
    this.clock = deps.clock ?? systemClock;
    deps.metrics.reconciliationPaused.set(0);
  }

  start(): void {
    this.stopped = false;
    const every = this.deps.config.reconciliationInterval;
    if (every > 0) {
      this.timer = setInterval(() => {
        void this.runOnce().catch((err) => this.log.error({ err }, 'prebuilds reconciliation failed'));
      }, every);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  /** One reconciliation pass now (or the one in progress on this replica). */
  runOnce(): Promise<ReconcileResult> {
    this.current ??= this.pass().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  private async pass(): Promise<ReconcileResult> {
    const result = await this.deps.db.withAdvisoryLock(PREBUILDS_RECONCILER_LOCK, () => this.reconcile(), { try: true });
    return result ?? { leader: false, created: 0, deleted: 0, hardLimited: [], backedOff: [] };
  }

  private async reconcile(): Promise<ReconcileResult> {
    const db = this.deps.db;
    const cfg = this.deps.config;
    const metrics = this.deps.metrics;
    const result: ReconcileResult = { leader: true, created: 0, deleted: 0, hardLimited: [], backedOff: [] };
    // Paused through PUT /prebuilds/settings: nothing is created or deleted until resumed.
    const paused = await pq.prebuildsPaused(db);
    metrics.reconciliationPaused.set(paused ? 1 : 0);
    if (paused) return result;
    const prebuildsUser = await getUserById(db, PREBUILDS_SYSTEM_USER_ID);
    if (!prebuildsUser) {
      this.log.error('the prebuilds system user is missing; skipping reconciliation');
      return result;
    }

    const presets = await pq.desiredPresets(db);
    const workspaces = await pq.prebuiltWorkspaces(db);
    const limited = await pq.presetsAtFailureLimit(db, cfg.failureHardLimit);
    const byPreset = new Map(presets.map((p) => [p.preset_id, p]));
    const states: PresetState[] = [];
    const toDelete: pq.PrebuiltWorkspace[] = [];

    // Prebuilds of inactive versions, deleted templates or presets no longer asking for any: remove.
    for (const w of workspaces) {
      const p = w.preset_id ? byPreset.get(w.preset_id) : undefined;
      if (p && w.template_version_id === p.template_version_id && !p.deprecated) continue;
      if (BUSY.has(w.job_status)) continue; // let the build finish; the next pass deletes it
      if (w.transition === 'delete' && w.job_status === 'succeeded') continue;
      toDelete.push(w);
    }

    for (const p of presets) {
      if (p.deprecated) continue;
      const mine = workspaces.filter((w) => w.preset_id === p.preset_id && w.template_version_id === p.template_version_id);
      const running = mine.filter((w) => w.transition === 'start' && w.job_status === 'succeeded');
      const state: PresetState = {
        preset: p,
        running,
        starting: mine.filter((w) => w.transition === 'start' && BUSY.has(w.job_status)).length,
        deleting: mine.filter((w) => w.transition === 'delete' && BUSY.has(w.job_status)).length,
        failed: mine.filter((w) => w.transition === 'start' && (w.job_status === 'failed' || w.job_status === 'canceled')).length,
        hardLimited: limited.has(p.preset_id),
      };
      states.push(state);
      // Stopped prebuilds serve nobody.
      for (const w of mine) if (w.transition === 'stop' && !BUSY.has(w.job_status)) toDelete.push(w);
      // Surplus: the oldest running ones go first.
      const surplus = running.length - p.desired_instances;
      if (surplus > 0) toDelete.push(...running.slice(0, surplus));

      if (state.hardLimited) {
        result.hardLimited.push(p.preset_id);
        await this.hardLimit(p);
        continue; // no more creates; deletes still happen
      }
      if (p.prebuild_status === 'validation_failed') continue;
      const missing = p.desired_instances - (running.length + state.starting);
      if (missing <= 0) continue;
      const streak = failureStreak(mine);
      if (streak.count > 0 && streak.lastAt && cfg.backoffInterval > 0) {
        const until = streak.lastAt.getTime() + cfg.backoffInterval * streak.count;
        if (this.clock().getTime() < until) {
          result.backedOff.push(p.preset_id);
          this.log.info(
            { template: p.template_name, preset: p.preset_name, failures: streak.count, until: new Date(until).toISOString() },
            'backing off prebuild creation after failed builds',
          );
          continue;
        }
      }
      for (let i = 0; i < missing && !this.stopped; i++) {
        if (await this.create(p, prebuildsUser)) {
          result.created++;
          metrics.created.inc(labelsOf(p));
        } else break;
      }
    }

    for (const w of toDelete) {
      if (this.stopped) break;
      if (await this.delete(w, prebuildsUser)) result.deleted++;
    }

    this.refreshGauges(states);
    if (result.created || result.deleted) this.log.info({ created: result.created, deleted: result.deleted }, 'prebuilds reconciled');
    return result;
  }

  /** Marks the preset hard_limited (notifying template admins on the transition only) and warns, every pass. */
  private async hardLimit(p: pq.DesiredPreset): Promise<void> {
    this.log.warn(
      {
        template: p.template_name,
        template_version: p.template_version_name,
        preset: p.preset_name,
        failure_hard_limit: this.deps.config.failureHardLimit,
      },
      'preset has reached the prebuild failure hard limit; no more prebuilt workspaces are created for it until a new template version is active',
    );
    await this.deps.db.tx(async (q) => {
      // The conditional update makes the transition, and so the notification, happen once.
      if (!(await pq.markHardLimited(q, p.preset_id))) return;
      await safely(q, this.log, 'notify prebuild failure limit reached', () => notifyFailureLimitReached(this.deps, q, p));
    });
  }

  private async create(p: pq.DesiredPreset, prebuildsUser: UserRow): Promise<boolean> {
    const name = `prebuild-${crypto.randomBytes(6).toString('hex')}`;
    try {
      await this.deps.db.tx(async (q) => {
        const r = await q.query<{ id: string }>(
          `INSERT INTO workspaces (owner_id, organization_id, template_id, name) VALUES ($1, $2, $3, $4) RETURNING id`,
          [prebuildsUser.id, p.organization_id, p.template_id, name],
        );
        await createBuild(this.deps, q, r.rows[0].id, prebuildsUser, {
          transition: 'start',
          templateVersionId: p.template_version_id,
          presetId: p.preset_id,
          prebuildStage: 'create',
        });
      });
      this.log.debug({ template: p.template_name, preset: p.preset_name, workspace: name }, 'prebuilt workspace created');
      return true;
    } catch (err) {
      if (err instanceof Invalid) {
        // The preset's parameters do not validate against its version: retrying cannot help.
        this.log.warn({ err, template: p.template_name, preset: p.preset_name }, 'prebuild preset failed validation');
        await pq.setPrebuildStatus(this.deps.db, p.preset_id, 'validation_failed');
      } else {
        this.log.error({ err, template: p.template_name, preset: p.preset_name }, 'creating a prebuilt workspace failed');
      }
      return false;
    }
  }

  private async delete(w: pq.PrebuiltWorkspace, prebuildsUser: UserRow): Promise<boolean> {
    try {
      const done = await this.deps.db.tx(async (q) => {
        // It may have been claimed since this pass looked: a user's workspace is never ours to delete.
        const r = await q.query<{ owner_id: string; deleted: boolean }>(`SELECT owner_id, deleted FROM workspaces WHERE id = $1 FOR UPDATE`, [w.id]);
        if (r.rows[0]?.owner_id !== prebuildsUser.id || r.rows[0].deleted) return false;
        await createBuild(this.deps, q, w.id, prebuildsUser, { transition: 'delete' });
        return true;
      });
      if (done) this.log.debug({ workspace: w.name }, 'prebuilt workspace deleted');
      return done;
    } catch (err) {
      // A claim or another build may have raced us; the next pass looks again.
      this.log.warn({ err, workspace: w.name }, 'deleting a prebuilt workspace failed');
      return false;
    }
  }

  private refreshGauges(states: PresetState[]): void {
    const m = this.deps.metrics;
    m.desired.reset();
    m.running.reset();
    m.eligible.reset();
    m.presetHardLimited.reset();
    for (const s of states) {
      const l = labelsOf(s.preset);
      m.desired.set(l, s.preset.desired_instances);
      m.running.set(l, s.running.length);
      m.eligible.set(l, s.running.length);
      if (s.hardLimited) m.presetHardLimited.set(l, 1);
    }
    m.metricsLastUpdated.set(Math.floor(this.clock().getTime() / 1000));
  }
}
