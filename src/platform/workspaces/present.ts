import type { Database, Queryable } from '../../db/database.js';
import { isZeroTime } from '../lifecycle/queries.js';
import { getJob, type JobRow } from '../provisioner/jobs.js';
import { latestStatusByWorkspace, presentAppStatus, type AppStatusRow } from '../agents/queries.js';
import type { BuildRow, WorkspaceRow } from './queries.js';
import { PREBUILDS_SYSTEM_USER_ID } from '../../auth/users/queries.js';
import * as wq from './queries.js';

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** codersdk.WorkspaceStatus from the job's status and the transition. */
export function buildStatus(jobStatus: string, transition: string): string {
  switch (jobStatus) {
    case 'pending':
      return 'pending';
    case 'running':
      return transition === 'start' ? 'starting' : transition === 'stop' ? 'stopping' : 'deleting';
    case 'succeeded':
      return transition === 'start' ? 'running' : transition === 'stop' ? 'stopped' : 'deleted';
    case 'canceled':
      return 'canceled';
    default:
      return 'failed';
  }
}

export function presentJob(j: JobRow) {
  return {
    id: j.id,
    created_at: j.created_at.toISOString(),
    started_at: j.started_at?.toISOString() ?? null,
    completed_at: j.completed_at?.toISOString() ?? null,
    canceled_at: j.canceled_at?.toISOString() ?? null,
    error: j.error ?? '',
    error_code: j.error_code ?? '',
    status: j.status,
    worker_id: j.worker_id,
    organization_id: j.organization_id,
    initiator_id: j.initiator_id,
    provisioner: j.provisioner,
    type: j.type,
    input: j.input,
    tags: {},
    // Herald's jobs carry their definition, not an uploaded file, and never queue for a worker pool.
    file_id: ZERO_UUID,
    queue_position: 0,
    queue_size: 0,
    available_workers: [],
    logs_overflowed: false,
    metadata: {},
  };
}

interface ResourceJoinRow {
  resource_id: string;
  resource_created_at: Date;
  job_id: string;
  transition: string;
  type: string;
  name: string;
  hide: boolean;
  icon: string;
  instance_type: string | null;
  daily_cost: number;
  metadata: { key: string; value: string; sensitive?: boolean }[];
  agent_id: string | null;
  agent_created_at: Date | null;
  agent_updated_at: Date | null;
  agent_name: string | null;
  lifecycle_state: string | null;
  operating_system: string | null;
  architecture: string | null;
  directory: string | null;
  first_connected_at: Date | null;
  last_connected_at: Date | null;
  app_id: string | null;
  slug: string | null;
  display_name: string | null;
  app_icon: string | null;
  command: string | null;
  url: string | null;
  external: boolean | null;
  subdomain: boolean | null;
  sharing_level: string | null;
  health: string | null;
  hidden: boolean | null;
  open_in: string | null;
}

/** Runs reads in one REPEATABLE READ snapshot, so a workspace, its build and its job agree. */
export function snapshot<T>(db: Database, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return db.tx(async (q) => {
    await q.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    return fn(q);
  });
}

interface BuildJson {
  workspace_owner_id: string;
  resources: { agents: { id: string; auth_token?: string }[] }[];
}

/** Adds each agent token not yet shown to builds of the viewer's own workspaces (shown once). */
export async function withAgentTokens(db: Queryable, builds: (BuildJson | null | undefined)[], viewerId: string): Promise<void> {
  const agents = new Map<string, { auth_token?: string }>();
  for (const b of builds) {
    if (!b || b.workspace_owner_id !== viewerId) continue;
    for (const r of b.resources) for (const a of r.agents) agents.set(a.id, a);
  }
  const tokens = await revealTokens(db, [...agents.keys()]);
  for (const [id, token] of tokens) agents.get(id)!.auth_token = token;
}

/** The one-time reveal of agent tokens to the workspace owner: each token is handed out once. */
async function revealTokens(q: Queryable, agentIds: string[]): Promise<Map<string, string>> {
  if (!agentIds.length) return new Map();
  const r = await q.query<{ id: string; token: string }>(
    `WITH old AS (
       SELECT id, auth_token_pending AS token FROM workspace_agents
       WHERE id = ANY($1::uuid[]) AND auth_token_pending IS NOT NULL FOR UPDATE)
     UPDATE workspace_agents a SET auth_token_pending = NULL FROM old WHERE a.id = old.id RETURNING a.id, old.token`,
    [agentIds],
  );
  return new Map(r.rows.map((x) => [x.id, x.token]));
}

async function resourcesByJob(q: Queryable, jobIds: string[]) {
  const r = await q.query<ResourceJoinRow>(
    `SELECT r.id AS resource_id, r.created_at AS resource_created_at, r.job_id, r.transition::text AS transition, r.type, r.name,
            r.hide, r.icon, r.instance_type, r.daily_cost, r.metadata,
            a.id AS agent_id, a.created_at AS agent_created_at, a.updated_at AS agent_updated_at, a.name AS agent_name,
            a.lifecycle_state::text AS lifecycle_state, a.operating_system, a.architecture, a.directory, a.first_connected_at, a.last_connected_at,
            p.id AS app_id, p.slug, p.display_name, p.icon AS app_icon, p.command, p.url, p.external, p.subdomain,
            p.sharing_level, p.health, p.hidden, p.open_in
     FROM workspace_resources r
     LEFT JOIN workspace_agents a ON a.resource_id = r.id
     LEFT JOIN workspace_apps p ON p.agent_id = a.id
     WHERE r.job_id = ANY($1::uuid[])
     ORDER BY r.created_at, r.id, a.created_at, a.name, p.display_order, p.slug`,
    [jobIds],
  );
  const appIds = r.rows.map((x) => x.app_id).filter((x): x is string => !!x);
  const statuses = new Map<string, AppStatusRow[]>();
  if (appIds.length) {
    const s = await q.query<AppStatusRow>(
      `SELECT id, created_at, agent_id, app_id, workspace_id, state::text AS state, message, uri FROM (
         SELECT *, row_number() OVER (PARTITION BY app_id ORDER BY created_at DESC, id DESC) AS n
         FROM workspace_app_statuses WHERE app_id = ANY($1::uuid[])) x
       WHERE n <= 10 ORDER BY created_at DESC, id DESC`,
      [appIds],
    );
    for (const row of s.rows) statuses.set(row.app_id, [...(statuses.get(row.app_id) ?? []), row]);
  }

  type AgentJson = Record<string, unknown> & { id: string; apps: Record<string, unknown>[]; health: { healthy: boolean; reason?: string }; auth_token?: string };
  type ResourceJson = Record<string, unknown> & { agents: AgentJson[] };
  const out = new Map<string, ResourceJson[]>();
  const resources = new Map<string, ResourceJson>();
  const agents = new Map<string, AgentJson>();
  for (const x of r.rows) {
    let res = resources.get(x.resource_id);
    if (!res) {
      res = {
        id: x.resource_id,
        created_at: x.resource_created_at.toISOString(),
        job_id: x.job_id,
        workspace_transition: x.transition,
        type: x.type,
        name: x.name,
        hide: x.hide,
        icon: x.icon,
        metadata: x.metadata.map((m) => ({ key: m.key, value: m.sensitive ? '' : m.value, sensitive: !!m.sensitive })),
        daily_cost: x.daily_cost,
        agents: [],
      };
      resources.set(x.resource_id, res);
      out.set(x.job_id, [...(out.get(x.job_id) ?? []), res]);
    }
    if (x.agent_id) {
      let agent = agents.get(x.agent_id);
      if (!agent) {
        const connected = !!x.first_connected_at;
        // codersdk.WorkspaceAgent: every field is present; what Herald has no concept of (DERP,
        // scripts, log sources, subsystems, agent versions) is empty or zero.
        agent = {
          id: x.agent_id,
          parent_id: null,
          created_at: x.agent_created_at!.toISOString(),
          updated_at: x.agent_updated_at!.toISOString(),
          first_connected_at: x.first_connected_at?.toISOString() ?? null,
          last_connected_at: x.last_connected_at?.toISOString() ?? null,
          disconnected_at: null,
          started_at: null,
          ready_at: null,
          name: x.agent_name,
          resource_id: x.resource_id,
          instance_id: '',
          status: connected ? 'connected' : 'connecting',
          lifecycle_state: x.lifecycle_state,
          operating_system: x.operating_system,
          architecture: x.architecture,
          environment_variables: {},
          logs_length: 0,
          logs_overflowed: false,
          directory: x.directory,
          expanded_directory: x.directory,
          version: '',
          api_version: '',
          apps: [],
          latency: {},
          connection_timeout_seconds: 0,
          troubleshooting_url: '',
          subsystems: [],
          health: connected ? { healthy: true } : { healthy: false, reason: 'agent is not connected' },
          display_apps: [],
          log_sources: [],
          scripts: [],
          startup_script_behavior: 'non-blocking',
        };
        agents.set(x.agent_id, agent);
        res.agents.push(agent);
      }
      if (x.app_id) {
        agent.apps.push({
          id: x.app_id,
          url: x.url ?? '',
          external: x.external,
          slug: x.slug,
          display_name: x.display_name,
          command: x.command ?? '',
          icon: x.app_icon,
          subdomain: x.subdomain,
          subdomain_name: '',
          sharing_level: x.sharing_level,
          healthcheck: { url: '', interval: 0, threshold: 0 },
          health: x.health,
          group: '',
          hidden: x.hidden,
          open_in: x.open_in,
          tooltip: '',
          statuses: (statuses.get(x.app_id) ?? []).map(presentAppStatus),
        });
      }
    }
  }
  return out;
}

/** codersdk.WorkspaceBuild for each build (resources, agents, apps and their latest statuses). */
export async function presentBuilds(q: Queryable, w: WorkspaceRow, builds: BuildRow[]) {
  const jobs = new Map<string, JobRow>();
  for (const b of builds) jobs.set(b.job_id, (await getJob(q, b.job_id))!);
  const resources = await resourcesByJob(q, builds.map((b) => b.job_id));
  return builds.map((b) => {
    const job = jobs.get(b.job_id)!;
    return {
      id: b.id,
      created_at: b.created_at.toISOString(),
      updated_at: b.updated_at.toISOString(),
      workspace_id: w.id,
      workspace_name: w.name,
      workspace_owner_id: w.owner_id,
      workspace_owner_name: w.owner_username,
      workspace_owner_avatar_url: w.owner_avatar_url,
      template_version_id: b.template_version_id,
      template_version_name: b.template_version_name,
      build_number: b.build_number,
      transition: b.transition,
      initiator_id: b.initiator_id,
      initiator_name: b.initiator_username,
      job: presentJob(job),
      reason: b.reason,
      resources: resources.get(b.job_id) ?? [],
      deadline: isZeroTime(b.deadline) ? null : b.deadline.toISOString(),
      max_deadline: isZeroTime(b.max_deadline) ? null : b.max_deadline.toISOString(),
      status: buildStatus(job.status, b.transition),
      daily_cost: b.daily_cost,
      template_version_preset_id: b.template_version_preset_id,
      has_ai_task: b.has_ai_task,
      ai_task_sidebar_app_id: b.ai_task_sidebar_app_id,
    };
  });
}

/** codersdk.WorkspaceHealth: healthy unless a running build has an agent that is not connected. */
function workspaceHealth(build: { status: string; resources: { agents: { id: string; health: { healthy: boolean } }[] }[] } | null) {
  if (!build || build.status !== 'running') return { healthy: true, failing_agents: [] as string[] };
  const failing = build.resources.flatMap((r) => r.agents).filter((a) => !a.health.healthy).map((a) => a.id);
  return { healthy: failing.length === 0, failing_agents: failing };
}

/** codersdk.Workspace, with its latest build and latest app status. */
export async function presentWorkspaces(q: Queryable, rows: WorkspaceRow[]) {
  const latest = await wq.latestBuilds(q, rows.map((w) => w.id));
  const statuses = await latestStatusByWorkspace(q, rows.map((w) => w.id));
  const out = [];
  for (const w of rows) {
    const b = latest.get(w.id);
    const build = b ? (await presentBuilds(q, w, [b]))[0] : null;
    const st = statuses.get(w.id);
    out.push({
      id: w.id,
      created_at: w.created_at.toISOString(),
      updated_at: w.updated_at.toISOString(),
      owner_id: w.owner_id,
      owner_name: w.owner_username,
      organization_id: w.organization_id,
      organization_name: w.organization_name,
      template_id: w.template_id,
      template_name: w.template_name,
      template_display_name: w.template_display_name,
      template_icon: w.template_icon,
      template_active_version_id: w.template_active_version_id,
      latest_build: build,
      latest_app_status: st ? presentAppStatus(st) : null,
      outdated: b ? b.template_version_id !== w.template_active_version_id : false,
      name: w.name,
      deleted: w.deleted,
      autostart_schedule: w.autostart_schedule,
      ttl_ms: w.ttl !== null ? Math.round(Number(w.ttl) / 1_000_000) : null,
      last_used_at: w.last_used_at.toISOString(),
      automatic_updates: w.automatic_updates,
      dormant_at: w.dormant_at ? w.dormant_at.toISOString() : null,
      deleting_at: w.deleting_at ? w.deleting_at.toISOString() : null,
      owner_avatar_url: w.owner_avatar_url,
      template_require_active_version: w.template_require_active_version,
      template_allow_user_cancel_workspace_jobs: false,
      template_use_classic_parameter_flow: true,
      health: workspaceHealth(build),
      // Herald has no favourites, no next-autostart computation in the answer and no renames.
      favorite: false,
      next_start_at: null,
      allow_renames: false,
      is_prebuild: w.owner_id === PREBUILDS_SYSTEM_USER_ID,
      task_id: null,
    });
  }
  return out;
}
