import crypto from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { notify } from '../../db/database.js';
import { Conflict } from '../../lib/errors.js';
import type { ClaimDeps } from '../prebuilds/claim.js';
import * as wq from '../workspaces/queries.js';
import * as events from '../workspaces/events.js';
import { hashAgentToken } from '../agents/queries.js';
import type { BuildOutcome } from './definition.js';
import { appendLogs, finishJob, type JobRow } from './jobs.js';
import { trackResourceReplacements } from '../prebuilds/claim.js';
import { presetLabels } from '../prebuilds/queries.js';
import { setStartDeadline } from '../lifecycle/deadline.js';
import { insertMonitors } from '../agents/monitors.js';
import { taskPausedOrResumed } from '../tasks/pause.js';

/** NOTIFY channel carrying workspace changes (build finished, app status) for live views. */
export const WORKSPACE_EVENTS_CHANNEL = 'herald_workspace_events';

/** What finishing a job needs: notifications, a log and the prebuild metrics it counts in. */
export type JobDeps = ClaimDeps;

/** A running build job succeeded: record what it built, then react to the transition. */
export async function completeJob(deps: JobDeps, q: Queryable, job: JobRow, outcome: BuildOutcome): Promise<void> {
  if (!(await finishJob(q, job.id, { status: 'succeeded' }, outcome.plan !== undefined ? { plan: outcome.plan } : undefined))) {
    throw new Conflict('The job is not running.', `Job ${job.id} is no longer running; it may have timed out.`);
  }
  await appendLogs(q, job.id, outcome.logs ?? []);
  if (job.type !== 'workspace_build') return;
  const build = (await wq.getBuildByJob(q, job.id))!;
  const apps = new Map<string, string>(); // "agent/slug" → app id
  for (const r of outcome.resources) {
    const res = await q.query<{ id: string }>(
      `INSERT INTO workspace_resources (job_id, transition, type, name, hide, icon, instance_type, daily_cost, metadata)
       VALUES ($1, $2::workspace_transition, $3, $4, $5, $6, $7, $8, $9::jsonb) RETURNING id`,
      [job.id, build.transition, r.type, r.name, r.hide ?? false, r.icon ?? '', r.instance_type ?? null, r.daily_cost ?? 0, JSON.stringify(r.metadata ?? [])],
    );
    for (const a of r.agents ?? []) {
      const token = a.auth_token ?? crypto.randomUUID();
      const agent = await q.query<{ id: string }>(
        `INSERT INTO workspace_agents (name, resource_id, auth_token_hash, auth_token_pending, operating_system, architecture, directory)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [a.name, res.rows[0].id, hashAgentToken(token), a.auth_token ? null : token, a.operating_system ?? 'linux', a.architecture ?? 'amd64', a.directory ?? ''],
      );
      await insertMonitors(q, agent.rows[0].id, a.resources_monitoring);
      let order = 0;
      for (const p of a.apps ?? []) {
        const app = await q.query<{ id: string }>(
          `INSERT INTO workspace_apps (agent_id, slug, display_name, icon, command, url, external, subdomain, sharing_level,
             hidden, open_in, display_order)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
          [
            agent.rows[0].id, p.slug, p.display_name ?? p.slug, p.icon ?? '', p.command ?? null, p.url ?? null,
            p.external ?? false, p.subdomain ?? false, p.sharing_level ?? 'owner', p.hidden ?? false,
            p.open_in ?? 'slim-window', order++,
          ],
        );
        apps.set(`${a.name}/${p.slug}`, app.rows[0].id);
      }
    }
  }
  if (outcome.has_ai_task && outcome.ai_task_sidebar_app) {
    const ref = typeof outcome.ai_task_sidebar_app === 'string' ? { slug: outcome.ai_task_sidebar_app } : outcome.ai_task_sidebar_app;
    const match = [...apps.entries()].find(([k]) => (ref.agent ? k === `${ref.agent}/${ref.slug}` : k.endsWith(`/${ref.slug}`)));
    await q.query(`UPDATE workspace_builds SET has_ai_task = true, ai_task_sidebar_app_id = $2, updated_at = now() WHERE id = $1`, [
      build.id,
      match?.[1] ?? null,
    ]);
  } else {
    await q.query(`UPDATE workspace_builds SET has_ai_task = false, updated_at = now() WHERE id = $1`, [build.id]);
  }
  // A claimed prebuilt workspace whose claim replaced resources: logs, metric, notification.
  await trackResourceReplacements(deps, q, build, outcome.plan);
  const w = (await wq.getWorkspace(q, build.workspace_id))!;
  if (build.transition === 'start') await setStartDeadline(q, w, build, deps.clock?.() ?? new Date());
  if (build.transition !== 'delete') await taskPausedOrResumed(deps, q, w, build);
  if (build.transition === 'delete') {
    await q.query(`UPDATE workspaces SET deleted = true, updated_at = now() WHERE id = $1`, [w.id]);
    await events.workspaceDeleted(deps, q, w, build);
  }
  await notify(q, WORKSPACE_EVENTS_CHANNEL, JSON.stringify({ workspace_id: w.id, kind: 'build_completed' }));
}

/** A running job failed (the runner said so, or it vanished): record why and tell whoever should know. */
export async function failJob(deps: JobDeps, q: Queryable, job: JobRow, error: string, errorCode?: string): Promise<void> {
  if (!(await finishJob(q, job.id, { status: 'failed', error, errorCode }))) {
    throw new Conflict('The job is not running.', `Job ${job.id} is no longer running; it may have timed out.`);
  }
  await appendLogs(q, job.id, [{ level: 'error', stage: 'Failed', output: error }], 'provisioner_daemon');
  if (job.type !== 'workspace_build') return;
  const build = (await wq.getBuildByJob(q, job.id))!;
  if (build.prebuild_stage === 'create' && build.template_version_preset_id) {
    const labels = await presetLabels(q, build.template_version_preset_id);
    if (labels) deps.metrics.failed.inc(labels);
  }
  const w = (await wq.getWorkspace(q, build.workspace_id))!;
  await events.workspaceBuildFailed(deps, q, w, build);
  await notify(q, WORKSPACE_EVENTS_CHANNEL, JSON.stringify({ workspace_id: w.id, kind: 'build_failed' }));
}
