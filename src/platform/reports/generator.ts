import type { Database, Queryable } from '../../db/database.js';
import { REPORT_GENERATOR_LOCK } from '../../db/locks.js';
import type { Logger } from '../../lib/logger.js';
import { systemClock, type Clock, type Service } from '../../lib/service.js';
import { TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT } from '../../notifications/templates/catalogue.js';
import type { EventDeps } from '../deps.js';
import { PREBUILDS_SYSTEM_USER_ID } from '../../auth/users/queries.js';
import { templateAdmins } from '../templates/events.js';

export const REPORT_PERIOD_MS = 7 * 24 * 3600_000;
/** Failed builds listed per template version (the reference's cap). */
export const MAX_BUILDS_PER_VERSION = 10;

export interface ReportGeneratorDeps extends EventDeps {
  db: Database;
  clock?: Clock;
  /** How often to check whether a report is due (ms); 0: only when run by hand. */
  config: { reportInterval: number };
}

/** What one run did. */
export interface ReportRun {
  leader: boolean;
  /** First run ever: the period starts now, nothing is sent. */
  initialized: boolean;
  sent: number;
}

interface FailedBuild {
  template_id: string;
  template_name: string;
  template_display_name: string;
  organization_id: string;
  template_version_name: string;
  workspace_owner_username: string;
  workspace_name: string;
  workspace_id: string;
  build_number: number;
}

/**
 * The weekly "Report: Workspace Builds Failed" to template admins (the reference's report
 * generator): checked every interval under an advisory lock, sent once `last_generated_at + 7d`
 * has passed, and `notification_report_generator_logs` records the run in the same transaction
 * as the messages, so a restart does not send it again.
 */
export class ReportGenerator implements Service {
  private readonly log: Logger;
  private readonly deps: ReportGeneratorDeps;
  private readonly clock: Clock;
  private timer?: NodeJS.Timeout;
  private current?: Promise<ReportRun>;

  constructor(deps: ReportGeneratorDeps) {
    this.log = deps.log.child({ component: 'report-generator' });
    this.deps = { ...deps, log: this.log };
    this.clock = deps.clock ?? systemClock;
  }

  start(): void {
    const every = this.deps.config.reportInterval;
    if (every > 0) {
      void this.runOnce().catch((err) => this.log.error({ err }, 'report generation failed'));
      this.timer = setInterval(() => void this.runOnce().catch((err) => this.log.error({ err }, 'report generation failed')), every);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }

  runOnce(): Promise<ReportRun> {
    this.current ??= this.run().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  private async run(): Promise<ReportRun> {
    const now = this.clock();
    const out = await this.deps.db.withAdvisoryLock(
      REPORT_GENERATOR_LOCK,
      () => this.deps.db.tx(async (q): Promise<ReportRun> => {
        const last = await q.query<{ last_generated_at: Date }>(
          `SELECT last_generated_at FROM notification_report_generator_logs WHERE notification_template_id = $1 FOR UPDATE`,
          [TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT],
        );
        if (!last.rows[0]) {
          await record(q, now);
          return { leader: true, initialized: true, sent: 0 };
        }
        if (last.rows[0].last_generated_at.getTime() + REPORT_PERIOD_MS > now.getTime()) return { leader: true, initialized: false, sent: 0 };
        // The period since the last report: no build is counted twice or missed.
        const sent = await this.report(q, last.rows[0].last_generated_at, now);
        await record(q, now);
        return { leader: true, initialized: false, sent };
      }),
      { try: true },
    );
    return out ?? { leader: false, initialized: false, sent: 0 };
  }

  private async report(q: Queryable, from: Date, to: Date): Promise<number> {
    const totals = await q.query<{ template_id: string; total: number; failed: number }>(
      `SELECT w.template_id, count(*)::int AS total, count(*) FILTER (WHERE j.status = 'failed')::int AS failed
       FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id JOIN workspaces w ON w.id = b.workspace_id
       WHERE j.completed_at >= $1 AND j.completed_at < $2 AND w.owner_id <> $3
       GROUP BY w.template_id`,
      [from, to, PREBUILDS_SYSTEM_USER_ID],
    );
    const failedTemplates = totals.rows.filter((t) => t.failed > 0);
    if (!failedTemplates.length) return 0;
    const failed = await q.query<FailedBuild>(
      `SELECT t.id AS template_id, t.name AS template_name, t.display_name AS template_display_name, t.organization_id,
         v.name AS template_version_name, u.username AS workspace_owner_username, w.name AS workspace_name,
         w.id AS workspace_id, b.build_number
       FROM workspace_builds b JOIN provisioner_jobs j ON j.id = b.job_id JOIN workspaces w ON w.id = b.workspace_id
       JOIN templates t ON t.id = w.template_id JOIN template_versions v ON v.id = b.template_version_id
       JOIN users u ON u.id = w.owner_id
       WHERE j.status = 'failed' AND j.completed_at >= $1 AND j.completed_at < $2 AND w.owner_id <> $3
       ORDER BY lower(t.name), v.created_at DESC, j.completed_at DESC`,
      [from, to, PREBUILDS_SYSTEM_USER_ID],
    );
    const byTemplate = new Map<string, { org: string; json: Record<string, unknown>; versions: Map<string, { template_version_name: string; failed_count: number; failed_builds: unknown[] }> }>();
    const totalOf = new Map(totals.rows.map((t) => [t.template_id, t]));
    for (const f of failed.rows) {
      let t = byTemplate.get(f.template_id);
      if (!t) {
        const c = totalOf.get(f.template_id)!;
        t = {
          org: f.organization_id,
          json: { name: f.template_name, display_name: f.template_display_name || f.template_name, failed_builds: c.failed, total_builds: c.total },
          versions: new Map(),
        };
        byTemplate.set(f.template_id, t);
      }
      let v = t.versions.get(f.template_version_name);
      if (!v) {
        v = { template_version_name: f.template_version_name, failed_count: 0, failed_builds: [] };
        t.versions.set(f.template_version_name, v);
      }
      v.failed_count++;
      if (v.failed_builds.length < MAX_BUILDS_PER_VERSION) {
        v.failed_builds.push({
          workspace_owner_username: f.workspace_owner_username,
          workspace_name: f.workspace_name,
          workspace_id: f.workspace_id,
          build_number: f.build_number,
        });
      }
    }
    // Owners and template admins who are members of the template's organization: one message each, over their templates.
    const admins = await templateAdmins(q);
    const members = await q.query<{ user_id: string; organization_id: string }>(`SELECT user_id, organization_id FROM organization_members`);
    const orgsOf = new Map<string, Set<string>>();
    for (const m of members.rows) {
      if (!orgsOf.has(m.user_id)) orgsOf.set(m.user_id, new Set());
      orgsOf.get(m.user_id)!.add(m.organization_id);
    }
    const reqs = [];
    for (const admin of admins) {
      const mine = [...byTemplate.entries()].filter(([, t]) => orgsOf.get(admin.id)?.has(t.org));
      if (!mine.length) continue;
      reqs.push({
        userId: admin.id,
        templateId: TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT,
        labels: {},
        data: {
          report_frequency: 'week',
          templates: mine.map(([, t]) => ({ ...t.json, versions: [...t.versions.values()] })),
        },
        createdBy: 'report_generator',
        targets: [...new Set(mine.flatMap(([id, t]) => [id, t.org]))],
      });
    }
    await this.deps.enqueuer.enqueueMany(reqs, q);
    return reqs.length;
  }
}

async function record(q: Queryable, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO notification_report_generator_logs (notification_template_id, last_generated_at) VALUES ($1, $2)
     ON CONFLICT (notification_template_id) DO UPDATE SET last_generated_at = EXCLUDED.last_generated_at`,
    [TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT, at],
  );
}
