import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import {
  TEMPLATE_TASK_COMPLETED,
  TEMPLATE_TASK_FAILED,
  TEMPLATE_TASK_IDLE,
  TEMPLATE_TASK_WORKING,
} from '../../notifications/templates/catalogue.js';
import { minuteBucket } from '../../notifications/dedupe.js';
import { safely } from '../events.js';
import type { AppStatusRow, AppStatusState } from '../agents/queries.js';
import { AI_PROMPT_PARAMETER } from '../templates/parameters.js';
import * as wq from '../workspaces/queries.js';

const TEMPLATE_FOR_STATE: Record<AppStatusState, string> = {
  working: TEMPLATE_TASK_WORKING,
  idle: TEMPLATE_TASK_IDLE,
  complete: TEMPLATE_TASK_COMPLETED,
  failure: TEMPLATE_TASK_FAILED,
};

export const TASK_LABEL_MAX = 160;

/**
 * strutil.Truncate(s, 160, WithEllipsis, FullWords): at most 160 runes ending in "…", cut at a
 * word boundary when there is one.
 */
export function truncateTaskLabel(s: string, max = TASK_LABEL_MAX): string {
  const runes = [...s];
  if (runes.length <= max) return s;
  const cut = runes.slice(0, max - 1);
  let boundary = -1;
  for (let i = cut.length - 1; i >= 0; i--) {
    if (/\s/u.test(cut[i])) {
      boundary = i;
      break;
    }
  }
  return (boundary < 0 ? cut : cut.slice(0, boundary)).join('') + '…';
}

/** strutil.UISanitize: no tags, no ANSI escapes, no control characters, whitespace collapsed. */
export function uiSanitize(s: string): string {
  return s
    .replace(/<[^>]*>/g, '')
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '')
    .replace(/\\+/g, '\\')
    .replace(/\s+/gu, ' ')
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/gu, '')
    .trim();
}

/**
 * Reference 8a, plus Task Completed / Task Failed (product 2.4). `previous` is the app's latest
 * status read before the new one was inserted.
 */
export async function notifyTaskState(
  deps: EventDeps,
  q: Queryable,
  opts: { workspaceId: string; appId: string; state: AppStatusState; previous: AppStatusRow | undefined; now?: Date },
): Promise<void> {
  const templateId = TEMPLATE_FOR_STATE[opts.state];
  if (!templateId) return;
  await safely(q, deps.log, 'notify task state', async () => {
    const w = await wq.getWorkspace(q, opts.workspaceId);
    if (!w) return;
    const build = await wq.latestBuild(q, w.id);
    if (!build || build.has_ai_task !== true || build.ai_task_sidebar_app_id !== opts.appId) return;
    if (opts.previous && opts.previous.state === opts.state) return;
    if (!opts.previous && opts.state === 'working') return;
    const prompt = (await wq.buildParameters(q, build.id)).find((p) => p.name === AI_PROMPT_PARAMETER)?.value;
    const task = truncateTaskLabel(prompt || w.name);
    await deps.enqueuer.enqueueMany(
      [
        {
          userId: w.owner_id,
          templateId,
          labels: { task, workspace: w.name },
          data: { dedupe_bypass_ts: minuteBucket(opts.now ?? new Date()) },
          createdBy: 'api-workspace-agent-app-status',
          targets: [w.id, w.owner_id, w.organization_id, opts.appId],
        },
      ],
      q,
    );
  });
}
