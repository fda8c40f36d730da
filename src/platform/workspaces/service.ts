import crypto from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import { setAgentToken } from '../agents/queries.js';
import { isUniqueViolation } from '../../db/database.js';
import { Conflict, Forbidden, Invalid, NotFound, Gone } from '../../lib/errors.js';
import type { EventDeps } from '../deps.js';
import type { UserRow } from '../../auth/users/queries.js';
import * as tq from '../templates/queries.js';
import { ParameterError, resolveParameters, type NameValue } from '../templates/parameters.js';
import { getLogs, insertJob } from '../provisioner/jobs.js';
import { LogFollowers, presentLog, type BuildLogJson, type LogSink } from './logs.js';
import * as wq from './queries.js';
import * as events from './events.js';
import { presentBuilds, presentWorkspaces, snapshot, withAgentTokens } from './present.js';
import { getTemplateSchedule } from '../lifecycle/queries.js';
import { validateAutomaticUpdates, validateAutostart, validateTtl } from '../lifecycle/validate.js';

/**
 * The workspace is deleted: the reference answers 410 Gone. A NotFound, so that anything not
 * knowing the difference still answers "not found".
 */
/** A deleted workspace: 410 Gone, as the reference's. */
export class WorkspaceDeleted extends Gone {}

export type Transition = 'start' | 'stop' | 'delete';
export type BuildReason = 'initiator' | 'autostart' | 'autostop' | 'dormancy' | 'failedstop' | 'autodelete';

export interface BuildRequest {
  transition: Transition;
  templateVersionId?: string;
  richParameterValues?: NameValue[];
  presetId?: string;
  reason?: BuildReason;
  prebuildStage?: 'none' | 'create' | 'claim';
}

function parameterError(err: unknown): never {
  if (err instanceof ParameterError) {
    throw new Invalid(`Unable to validate parameter "${err.parameter}".`, err.message, [
      { field: `rich_parameter_values.${err.parameter}`, detail: err.message },
    ]);
  }
  throw err;
}

/**
 * Queues a build of a workspace: the build row, its parameters and its provisioner job in the
 * caller's transaction. The workspace row is locked so build numbers cannot collide.
 */
export async function createBuild(
  deps: EventDeps,
  q: Queryable,
  workspaceId: string,
  initiator: UserRow,
  req: BuildRequest,
): Promise<string> {
  const w = await wq.getWorkspace(q, workspaceId, { forUpdate: true });
  if (!w) throw new NotFound();
  if (w.deleted) throw new WorkspaceDeleted(`Workspace "${w.name}" was deleted.`, 'Builds cannot be created for a deleted workspace.');
  const previous = await wq.latestBuild(q, w.id);
  if (previous && (previous.job_status === 'pending' || previous.job_status === 'running')) {
    throw new Conflict('A workspace build is already active.', `Build #${previous.build_number} (${previous.transition}) is ${previous.job_status}.`);
  }
  const template = await tq.getTemplate(q, w.template_id);
  let versionId = req.templateVersionId ?? previous?.template_version_id ?? template?.active_version_id;
  if (!versionId) throw new Invalid('The workspace has no template version to build.');
  const version = await tq.getVersion(q, versionId);
  if (!version) {
    throw new Invalid('Template version not found.', undefined, [{ field: 'template_version_id', detail: `no template version ${versionId}` }]);
  }
  if (version.template_id !== w.template_id) {
    throw new Invalid("The template version doesn't belong to the workspace's template.", undefined, [
      { field: 'template_version_id', detail: 'template version belongs to another template' },
    ]);
  }
  if (version.archived && req.transition === 'start') throw new Invalid('The template version is archived.');
  versionId = version.id;

  let preset: tq.PresetRow | undefined;
  const presetId = req.presetId ?? (req.templateVersionId ? undefined : previous?.template_version_preset_id ?? undefined);
  if (presetId) {
    preset = await tq.getPreset(q, presetId);
    if (!preset || preset.template_version_id !== version.id) {
      if (req.presetId) {
        throw new Invalid('Preset not found for this template version.', undefined, [
          { field: 'template_version_preset_id', detail: 'preset does not belong to the template version' },
        ]);
      }
      preset = undefined;
    }
  }

  let parameters: NameValue[];
  try {
    parameters = resolveParameters({
      parameters: await tq.getParameters(q, version.id),
      requested: req.richParameterValues ?? [],
      previous: previous ? await wq.buildParameters(q, previous.id) : [],
      preset: preset?.parameters,
      firstBuild: !previous,
    });
  } catch (err) {
    parameterError(err);
  }

  const jobId = await insertJob(q, {
    organizationId: w.organization_id,
    initiatorId: initiator.id,
    provisioner: version.definition.provisioner ?? 'builtin',
    type: 'workspace_build',
    input: { template_version_id: version.id },
  });
  const buildId = await wq.insertBuild(q, {
    workspaceId: w.id,
    templateVersionId: version.id,
    buildNumber: (previous?.build_number ?? 0) + 1,
    transition: req.transition,
    initiatorId: initiator.id,
    jobId,
    reason: req.reason ?? 'initiator',
    presetId: preset?.id ?? null,
    prebuildStage: req.prebuildStage ?? 'none',
    parameters,
    createdAt: deps.clock?.(),
  });
  await q.query(`UPDATE provisioner_jobs SET input = input || jsonb_build_object('workspace_build_id', $2::text) WHERE id = $1`, [jobId, buildId]);
  if (req.transition === 'start' && w.dormant_at) {
    // The reference (coderd/workspacebuilds.go, #20925) wakes a dormant workspace that is started:
    // dormancy and its deletion date are cleared in the build's transaction, and the start counts
    // as use, so the next tick neither deletes it nor makes it dormant again.
    await wq.wakeDormant(q, w.id, deps.clock?.() ?? new Date());
  }
  await q.query(`UPDATE workspaces SET updated_at = now() WHERE id = $1`, [w.id]);

  // Automatic builds that move to the active version send Workspace Updated Automatically instead.
  if ((req.reason ?? 'initiator') === 'initiator' && previous && req.templateVersionId && req.templateVersionId !== previous.template_version_id) {
    await events.workspaceManuallyUpdated(deps, q, w, initiator, req.richParameterValues ?? []);
  }
  return buildId;
}

export interface CreateWorkspaceRequest {
  name: string;
  templateId?: string;
  templateVersionId?: string;
  richParameterValues?: NameValue[];
  presetId?: string;
  autostartSchedule?: string;
  ttlMs?: number;
  automaticUpdates?: string;
}

/** What a prebuilt-workspace claim is asked for: the validated create request, with its preset and version. */
export interface ClaimRequest {
  name: string;
  templateVersionId: string;
  presetId: string;
  richParameterValues?: NameValue[];
  autostartSchedule?: string;
  ttlMs?: number;
  automaticUpdates?: string;
}

/** Hands a ready prebuilt workspace over to `owner`; undefined when none is ready. */
export type ClaimPrebuild = (
  q: Queryable,
  owner: UserRow,
  initiator: UserRow,
  req: ClaimRequest,
) => Promise<{ workspaceId: string; buildId: string } | undefined>;

export interface CreateWorkspaceDeps extends EventDeps {
  /** Prebuilds (injected: they build on createBuild, so this file cannot import them). */
  claim?: ClaimPrebuild;
}

/** Creates a workspace and its first (start) build in the caller's transaction. */
export async function createWorkspace(
  deps: CreateWorkspaceDeps,
  q: Queryable,
  owner: UserRow,
  initiator: UserRow,
  req: CreateWorkspaceRequest,
): Promise<{ workspaceId: string; buildId: string }> {
  if (!req.templateId && !req.templateVersionId) {
    throw new Invalid('Validation failed.', 'Either template_id or template_version_id must be set.', [
      { field: 'template_id', detail: 'template_id or template_version_id is required' },
    ]);
  }
  let template: tq.TemplateRow | undefined;
  let versionId = req.templateVersionId;
  if (req.templateId) {
    template = await tq.getTemplate(q, req.templateId);
    if (!template) throw new Invalid(`Template "${req.templateId}" doesn't exist.`, undefined, [{ field: 'template_id', detail: 'template not found' }]);
  }
  if (versionId) {
    const v = await tq.getVersion(q, versionId);
    if (!v || !v.template_id) {
      throw new Invalid('Template version not found.', undefined, [{ field: 'template_version_id', detail: 'template version not found' }]);
    }
    if (template && v.template_id !== template.id) {
      throw new Invalid('Template version does not belong to the template.', undefined, [
        { field: 'template_version_id', detail: 'template version belongs to another template' },
      ]);
    }
    template ??= await tq.getTemplate(q, v.template_id);
    if (!template) throw new Invalid('Template version not found.', undefined, [{ field: 'template_version_id', detail: 'its template was deleted' }]);
  }
  template = template!;
  versionId ??= template.active_version_id;
  if (template.deprecated) {
    throw new Forbidden(`Template "${template.name}" has been deprecated, and cannot be used to create a new workspace.`, template.deprecated);
  }
  const member = await q.query(`SELECT 1 FROM organization_members WHERE organization_id = $1 AND user_id = $2`, [template.organization_id, owner.id]);
  if (!member.rowCount) throw new Forbidden(`User "${owner.username}" is not a member of the template's organization.`);
  if (await wq.getWorkspaceByOwnerAndName(q, owner.id, req.name)) {
    throw new Conflict(`Workspace "${req.name}" already exists.`, undefined);
  }
  if (req.presetId) {
    // A ready prebuilt workspace of the preset is handed over instead of building from scratch.
    const claimed = await deps.claim?.(q, owner, initiator, { ...req, presetId: req.presetId, templateVersionId: versionId });
    if (claimed) return claimed;
  }
  let workspaceId: string;
  if (req.autostartSchedule) validateAutostart(req.autostartSchedule);
  if (req.ttlMs) validateTtl(req.ttlMs);
  if (req.automaticUpdates !== undefined) validateAutomaticUpdates(req.automaticUpdates);
  // Without a TTL of its own the workspace takes the template's default (the reference's behaviour).
  const schedule = await getTemplateSchedule(q, template.id);
  const ttlMs = req.ttlMs ?? (schedule?.defaultTtlMs ? schedule.defaultTtlMs : undefined);
  try {
    const r = await q.query<{ id: string }>(
      `INSERT INTO workspaces (owner_id, organization_id, template_id, name, autostart_schedule, ttl, automatic_updates, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now())) RETURNING id`,
      [owner.id, template.organization_id, template.id, req.name, req.autostartSchedule || null, ttlMs ? ttlMs * 1_000_000 : null, req.automaticUpdates ?? 'never', deps.clock?.() ?? null],
    );
    workspaceId = r.rows[0].id;
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`Workspace "${req.name}" already exists.`);
    throw err;
  }
  const buildId = await createBuild(deps, q, workspaceId, initiator, {
    transition: 'start',
    templateVersionId: versionId,
    richParameterValues: req.richParameterValues,
    presetId: req.presetId,
  });
  const w = (await wq.getWorkspace(q, workspaceId))!;
  await events.workspaceCreated(deps, q, w, versionId, initiator, req.richParameterValues ?? []);
  return { workspaceId, buildId };
}

/** Who is asking, and whether their roles reach other people's workspaces. */
export interface Viewer {
  user: UserRow;
  readAny: boolean;
  updateAny: boolean;
}

export type WorkspaceJson = Awaited<ReturnType<typeof presentWorkspaces>>[number];
export type BuildJson = Awaited<ReturnType<typeof presentBuilds>>[number];

/** The list filter (the reference's owner:, template:, name: terms), as the queries take it. */
export type WorkspaceSearch = wq.WorkspaceFilter;

export interface WorkspaceService {
  create(viewer: Viewer, owner: UserRow, req: CreateWorkspaceRequest): Promise<WorkspaceJson>;
  list(viewer: Viewer, search: WorkspaceSearch): Promise<{ workspaces: WorkspaceJson[]; count: number }>;
  get(viewer: Viewer, id: string, includeDeleted?: boolean): Promise<WorkspaceJson>;
  getByOwnerAndName(viewer: Viewer, ownerId: string, name: string, includeDeleted?: boolean): Promise<WorkspaceJson>;
  build(viewer: Viewer, workspaceId: string, req: BuildRequest): Promise<BuildJson>;
  listBuilds(viewer: Viewer, workspaceId: string, page: { limit: number; offset: number }): Promise<BuildJson[]>;
  getBuild(viewer: Viewer, buildId: string): Promise<BuildJson>;
  /** The build's log lines (after the line with id `after`, when given). */
  buildLogs(viewer: Viewer, buildId: string, after?: number): Promise<BuildLogJson[]>;
  /**
   * Follows a build's logs: the lines after `after` at once, then each new one as it is written,
   * and `end` when the build's job has finished. Resolves the function that stops following.
   */
  followBuildLogs(viewer: Viewer, buildId: string, after: number, sink: LogSink): Promise<() => void>;
  /** A build by its owner, the workspace's name and the build number (deleted workspaces included). */
  getBuildByNumber(viewer: Viewer, ownerId: string, name: string, buildNumber: number): Promise<BuildJson>;
  /** The rich parameter values a build ran with. */
  buildParameters(viewer: Viewer, buildId: string): Promise<NameValue[]>;
  /** codersdk.WorkspaceAgent: an agent of a workspace the viewer may see, with its apps and their statuses. */
  getAgent(viewer: Viewer, agentId: string): Promise<AgentJson>;
  /**
   * A new token for an agent of the workspace's latest build (by name; may be omitted when there is
   * one agent), shown once; the old one stops working. Only the workspace's owner may do it.
   */
  rotateAgentToken(viewer: Viewer, workspaceId: string, agentName: string | undefined): Promise<{ agent_id: string; agent_name: string; agent_token: string }>;
}

export type AgentJson = BuildJson['resources'][number]['agents'][number];

export type { BuildLogJson };

/** A workspace the viewer may see; others' answer "not found" as if it did not exist. */
function readable(viewer: Viewer, w: wq.WorkspaceRow | undefined, includeDeleted = false): wq.WorkspaceRow {
  if (!w || (w.owner_id !== viewer.user.id && !viewer.readAny)) throw new NotFound();
  if (w.deleted && !includeDeleted) {
    throw new WorkspaceDeleted(`Workspace "${w.name}" was deleted, you can view this workspace by specifying '?include_deleted=true' and trying again.`);
  }
  return w;
}

function writable(viewer: Viewer, w: wq.WorkspaceRow): void {
  if (w.owner_id !== viewer.user.id && !viewer.updateAny) throw new Forbidden('You do not have permission to build this workspace.');
}

/** Workspaces and builds as the API shows them, each read in one snapshot; agent tokens shown once to their owner. */
export function createWorkspaceService(deps: CreateWorkspaceDeps & { db: Database }): WorkspaceService {
  const { db } = deps;
  const followers = new LogFollowers({ db, log: deps.log });
  return {
    async create(viewer, owner, req) {
      if (owner.id !== viewer.user.id && !viewer.updateAny) throw new Forbidden('You cannot create workspaces for other users.');
      if (owner.is_system) throw new Forbidden('Workspaces cannot be created for system users.');
      const { workspaceId } = await db.tx((q) => createWorkspace(deps, q, owner, viewer.user, req));
      const out = await snapshot(db, async (q) => (await presentWorkspaces(q, [(await wq.getWorkspace(q, workspaceId))!]))[0]);
      await withAgentTokens(db, [out.latest_build], viewer.user.id);
      return out;
    },

    async list(viewer, search) {
      const f = { ...search };
      if (!viewer.readAny) {
        if (f.ownerUsername && f.ownerUsername.toLowerCase() !== viewer.user.username.toLowerCase()) return { workspaces: [], count: 0 };
        f.ownerUsername = undefined;
        f.ownerId = viewer.user.id;
      }
      const out = await snapshot(db, async (q) => {
        const { rows, count } = await wq.listWorkspaces(q, f);
        return { workspaces: await presentWorkspaces(q, rows), count };
      });
      await withAgentTokens(db, out.workspaces.map((w) => w.latest_build), viewer.user.id);
      return out;
    },

    async get(viewer, id, includeDeleted) {
      const out = await snapshot(db, async (q) => (await presentWorkspaces(q, [readable(viewer, await wq.getWorkspace(q, id), includeDeleted)]))[0]);
      await withAgentTokens(db, [out.latest_build], viewer.user.id);
      return out;
    },

    async rotateAgentToken(viewer, workspaceId, agentName) {
      const w = await this.get(viewer, workspaceId);
      if (w.owner_id !== viewer.user.id) throw new Forbidden("Only the workspace's owner can get its agent token.");
      const agents = (w.latest_build?.resources ?? []).flatMap((r) => r.agents as unknown as { id: string; name: string }[]);
      const agent = agentName === undefined ? (agents.length === 1 ? agents[0] : undefined) : agents.find((a) => a.name === agentName);
      if (!agent) {
        const names = agents.map((a) => a.name).join(', ') || 'none';
        throw new Invalid(agentName === undefined ? `The workspace has ${agents.length} agents: name one (${names}).` : `The workspace has no agent "${agentName}" (agents: ${names}).`);
      }
      const token = crypto.randomUUID();
      await setAgentToken(db, agent.id, token);
      return { agent_id: agent.id, agent_name: agent.name, agent_token: token };
    },

    async getByOwnerAndName(viewer, ownerId, name, includeDeleted) {
      const out = await snapshot(db, async (q) => {
        const w = readable(viewer, await wq.getWorkspaceByOwnerAndName(q, ownerId, name, includeDeleted), includeDeleted);
        return (await presentWorkspaces(q, [w]))[0];
      });
      await withAgentTokens(db, [out.latest_build], viewer.user.id);
      return out;
    },

    async build(viewer, workspaceId, req) {
      const w = readable(viewer, await wq.getWorkspace(db, workspaceId));
      writable(viewer, w);
      const buildId = await db.tx((q) => createBuild(deps, q, w.id, viewer.user, req));
      const out = await snapshot(db, async (q) => (await presentBuilds(q, (await wq.getWorkspace(q, w.id))!, [(await wq.getBuild(q, buildId))!]))[0]);
      await withAgentTokens(db, [out], viewer.user.id);
      return out;
    },

    async listBuilds(viewer, workspaceId, page) {
      const out = await snapshot(db, async (q) => {
        const w = readable(viewer, await wq.getWorkspace(q, workspaceId), true);
        return presentBuilds(q, w, await wq.listBuilds(q, w.id, page.limit, page.offset));
      });
      await withAgentTokens(db, out, viewer.user.id);
      return out;
    },

    async getBuild(viewer, buildId) {
      const out = await snapshot(db, async (q) => {
        const b = await wq.getBuild(q, buildId);
        const w = readable(viewer, b ? await wq.getWorkspace(q, b.workspace_id) : undefined, true);
        return (await presentBuilds(q, w, [b!]))[0];
      });
      await withAgentTokens(db, [out], viewer.user.id);
      return out;
    },

    async getBuildByNumber(viewer, ownerId, name, buildNumber) {
      const out = await snapshot(db, async (q) => {
        const w = readable(viewer, await wq.getWorkspaceByOwnerAndName(q, ownerId, name, true), true);
        const b = await wq.getBuildByNumber(q, w.id, buildNumber);
        if (!b) throw new NotFound(`Workspace "${name}" has no build #${buildNumber}.`);
        return (await presentBuilds(q, w, [b]))[0];
      });
      await withAgentTokens(db, [out], viewer.user.id);
      return out;
    },

    async buildParameters(viewer, buildId) {
      const b = await wq.getBuild(db, buildId);
      readable(viewer, b ? await wq.getWorkspace(db, b.workspace_id) : undefined, true);
      return wq.buildParameters(db, b!.id);
    },

    async getAgent(viewer, agentId) {
      return snapshot(db, async (q) => {
        const place = await wq.agentPlace(q, agentId);
        const w = readable(viewer, place ? await wq.getWorkspace(q, place.workspace_id) : undefined, true);
        const [build] = await presentBuilds(q, w, [(await wq.getBuild(q, place!.build_id))!]);
        const agent = build.resources.flatMap((r) => r.agents).find((a) => a.id === agentId);
        if (!agent) throw new NotFound();
        // The token is only ever shown in the owner's build answer, never here.
        const { auth_token: _token, ...rest } = agent;
        return rest;
      });
    },

    async buildLogs(viewer, buildId, after = 0) {
      const b = await wq.getBuild(db, buildId);
      readable(viewer, b ? await wq.getWorkspace(db, b.workspace_id) : undefined, true);
      return (await getLogs(db, b!.job_id, after)).map(presentLog);
    },

    async followBuildLogs(viewer, buildId, after, sink) {
      const b = await wq.getBuild(db, buildId);
      readable(viewer, b ? await wq.getWorkspace(db, b.workspace_id) : undefined, true);
      return followers.follow(b!.job_id, after, sink);
    },
  };
}
