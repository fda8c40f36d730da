import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import { TEMPLATE_TASK_PAUSED, TEMPLATE_TASK_RESUMED } from '../../notifications/templates/catalogue.js';
import { safely } from '../events.js';
import { AI_PROMPT_PARAMETER } from '../templates/parameters.js';
import * as wq from '../workspaces/queries.js';
import { truncateTaskLabel } from './notify.js';

/**
 * A task's workspace stopped (Task Paused; `pause_reason` "manual" when a user stopped it, "auto"
 * for an automatic stop) or started again after a stop (Task Resumed). Herald's tasks are the
 * workspaces with an AI task build; `task_id` is the workspace name, which is how the dashboard
 * addresses a task.
 */
export async function taskPausedOrResumed(deps: EventDeps, q: Queryable, w: wq.WorkspaceRow, build: wq.BuildRow): Promise<void> {
  if (build.prebuild_stage === 'create') return;
  const ai = await q.query<{ id: string }>(
    `SELECT id FROM workspace_builds WHERE workspace_id = $1 AND has_ai_task = true ORDER BY build_number DESC LIMIT 1`,
    [w.id],
  );
  if (!ai.rowCount) return;
  let templateId: string;
  const labels: Record<string, string> = {};
  if (build.transition === 'stop') {
    templateId = TEMPLATE_TASK_PAUSED;
    labels.pause_reason = build.reason === 'initiator' ? 'manual' : 'auto';
  } else {
    const prev = await q.query<{ transition: string }>(
      `SELECT transition::text FROM workspace_builds WHERE workspace_id = $1 AND build_number < $2 ORDER BY build_number DESC LIMIT 1`,
      [w.id, build.build_number],
    );
    if (prev.rows[0]?.transition !== 'stop') return;
    templateId = TEMPLATE_TASK_RESUMED;
  }
  await safely(q, deps.log, 'notify task paused/resumed', async () => {
    const prompt = (await wq.buildParameters(q, ai.rows[0].id)).find((p) => p.name === AI_PROMPT_PARAMETER)?.value;
    await deps.enqueuer.enqueueMany(
      [
        {
          userId: w.owner_id,
          templateId,
          labels: { ...labels, task: truncateTaskLabel(prompt || w.name), workspace: w.name, task_id: w.name },
          data: { build_id: build.id },
          createdBy: 'provisionerd',
          targets: [w.id, w.owner_id, w.organization_id],
        },
      ],
      q,
    );
  });
}
