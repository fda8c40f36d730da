import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import { TEMPLATE_WORKSPACE_OUT_OF_DISK, TEMPLATE_WORKSPACE_OUT_OF_MEMORY } from '../../notifications/templates/catalogue.js';
import { safely } from '../events.js';
import type { ResourcesMonitoring } from '../provisioner/definition.js';
import * as wq from '../workspaces/queries.js';

/** The reference's agent API settings: 20 datapoints every 10 s, alert at 50 % consecutive or 20 % overall NOK, 30 min debounce. */
export const MONITOR_CONFIG = { numDatapoints: 20, collectionIntervalSeconds: 10, consecutiveNokPercent: 50, minimumNokPercent: 20, debounceMs: 30 * 60_000 };

export type MonitorState = 'OK' | 'NOK';
type Sample = 'OK' | 'NOK' | 'UNKNOWN';

export interface Usage {
  used: number;
  total: number;
}

export interface Datapoint {
  collected_at?: string;
  memory?: Usage | null;
  volumes?: ({ volume: string } & Usage)[];
}

export async function insertMonitors(q: Queryable, agentId: string, m: ResourcesMonitoring | undefined): Promise<void> {
  if (!m) return;
  if (m.memory) {
    await q.query(`INSERT INTO workspace_agent_memory_resource_monitors (agent_id, enabled, threshold) VALUES ($1, $2, $3)`, [agentId, m.memory.enabled, m.memory.threshold]);
  }
  for (const v of m.volumes ?? []) {
    await q.query(`INSERT INTO workspace_agent_volume_resource_monitors (agent_id, path, enabled, threshold) VALUES ($1, $2, $3, $4)`, [agentId, v.path, v.enabled, v.threshold]);
  }
}

function sample(u: Usage | null | undefined, threshold: number): Sample {
  if (!u || !(u.total > 0)) return 'UNKNOWN';
  return Math.trunc((u.used / u.total) * 100) < threshold ? 'OK' : 'NOK';
}

const pct = (n: number, d: number) => Math.round((n * 100) / d);

/** The reference's NextState: enough NOK datapoints (in a row, or overall) alert; all OK clears; otherwise unchanged. */
export function nextState(old: MonitorState, samples: Sample[]): MonitorState {
  if (!samples.length) return old;
  let run = 0;
  let best = 0;
  for (const s of samples) {
    run = s === 'NOK' ? run + 1 : 0;
    best = Math.max(best, run);
  }
  if (pct(best, samples.length) >= MONITOR_CONFIG.consecutiveNokPercent) return 'NOK';
  if (pct(samples.filter((s) => s === 'NOK').length, samples.length) >= MONITOR_CONFIG.minimumNokPercent) return 'NOK';
  if (samples.every((s) => s === 'OK')) return 'OK';
  return old;
}

/** Notify on OK → NOK only, and not again until the debounce has passed. */
function debounce(until: Date, now: Date, old: MonitorState, next: MonitorState): { until: Date; notify: boolean } {
  if (now.getTime() > until.getTime() && old === 'OK' && next === 'NOK') return { until: new Date(now.getTime() + MONITOR_CONFIG.debounceMs), notify: true };
  return { until, notify: false };
}

/**
 * An agent's usage report: each enabled monitor moves to its next state, and a crossing into
 * NOK sends Workspace Out Of Memory / Out Of Disk to the owner (once per crossing, debounced).
 */
export async function pushUsage(deps: EventDeps, q: Queryable, agent: { id: string; workspace_id: string }, datapoints: Datapoint[], now: Date): Promise<void> {
  const mem = await q.query<{ enabled: boolean; threshold: number; state: MonitorState; debounced_until: Date }>(
    `SELECT enabled, threshold, state::text AS state, debounced_until FROM workspace_agent_memory_resource_monitors WHERE agent_id = $1 FOR UPDATE`,
    [agent.id],
  );
  const vols = await q.query<{ path: string; enabled: boolean; threshold: number; state: MonitorState; debounced_until: Date }>(
    `SELECT path, enabled, threshold, state::text AS state, debounced_until FROM workspace_agent_volume_resource_monitors WHERE agent_id = $1 ORDER BY path FOR UPDATE`,
    [agent.id],
  );
  let oom: string | undefined;
  const m = mem.rows[0];
  if (m?.enabled) {
    const next = nextState(m.state, datapoints.map((d) => sample(d.memory, m.threshold)));
    const d = debounce(m.debounced_until, now, m.state, next);
    await q.query(`UPDATE workspace_agent_memory_resource_monitors SET state = $2, debounced_until = $3, updated_at = $4 WHERE agent_id = $1`, [agent.id, next, d.until, now]);
    if (d.notify) oom = `${m.threshold}%`;
  }
  const ood: { path: string; threshold: string }[] = [];
  for (const v of vols.rows) {
    if (!v.enabled) continue;
    const next = nextState(v.state, datapoints.map((d) => sample(d.volumes?.find((x) => x.volume === v.path), v.threshold)));
    const d = debounce(v.debounced_until, now, v.state, next);
    await q.query(
      `UPDATE workspace_agent_volume_resource_monitors SET state = $3, debounced_until = $4, updated_at = $5 WHERE agent_id = $1 AND path = $2`,
      [agent.id, v.path, next, d.until, now],
    );
    if (d.notify) ood.push({ path: v.path, threshold: `${v.threshold}%` });
  }
  if (!oom && !ood.length) return;
  await safely(q, deps.log, 'notify workspace resources', async () => {
    const w = await wq.getWorkspace(q, agent.workspace_id);
    if (!w) return;
    const targets = [w.id, w.owner_id, w.organization_id];
    // The timestamp keeps the enqueuer's same-day de-duplication from swallowing a later crossing.
    const reqs = [];
    if (oom) {
      reqs.push({ userId: w.owner_id, templateId: TEMPLATE_WORKSPACE_OUT_OF_MEMORY, labels: { workspace: w.name, threshold: oom }, data: { timestamp: now.toISOString() }, createdBy: 'workspace-monitor-memory', targets });
    }
    if (ood.length) {
      reqs.push({ userId: w.owner_id, templateId: TEMPLATE_WORKSPACE_OUT_OF_DISK, labels: { workspace: w.name }, data: { volumes: ood, timestamp: now.toISOString() }, createdBy: 'workspace-monitor-volumes', targets });
    }
    await deps.enqueuer.enqueueMany(reqs, q);
  });
}
