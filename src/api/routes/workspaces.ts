import { createDirectory } from '../../platform/directory.js';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { can } from '../../auth/roles.js';
import { actorOf, type Actor } from '../auth.js';
import { forbidden, HttpError, notFound } from '../errors.js';
import { userParam } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import {
  BuildPageQuery as PageQuery,
  BuildParam,
  CreateBuild,
  CreateWorkspace,
  IncludeDeleted,
  WorkspaceListQuery as ListQuery,
  WorkspaceParam,
} from '../../contract/workspaces.js';
import * as wq from '../../platform/workspaces/queries.js';
import * as service from '../../platform/workspaces/service.js';
import { presentBuilds, presentWorkspaces, snapshot, withAgentTokens } from '../../platform/workspaces/present.js';
import { getLogs } from '../../platform/provisioner/jobs.js';

const tags = ['Workspaces'];

/** "owner:me template:docker name" as the reference's workspace search. */
function parseSearch(q: string | undefined, actor: Actor): Pick<wq.WorkspaceFilter, 'ownerId' | 'ownerUsername' | 'templateName' | 'name'> {
  const out: Pick<wq.WorkspaceFilter, 'ownerId' | 'ownerUsername' | 'templateName' | 'name'> = {};
  for (const part of (q ?? '').split(/\s+/).filter(Boolean)) {
    const [k, v] = part.includes(':') ? part.split(/:(.*)/s) : ['name', part];
    if (k === 'owner') {
      if (v === 'me') out.ownerId = actor.user.id;
      else out.ownerUsername = v;
    } else if (k === 'template') out.templateName = v;
    else if (k === 'name') out.name = v;
  }
  return out;
}

export async function workspaceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;

  /** A workspace the actor may see; others' answer 404 as if it did not exist. */
  async function readable(req: FastifyRequest, w: wq.WorkspaceRow | undefined, includeDeleted = false): Promise<wq.WorkspaceRow> {
    const actor = actorOf(req);
    if (!w || (w.owner_id !== actor.user.id && !can(actor.roles, 'workspace:read_any'))) throw notFound();
    if (w.deleted && !includeDeleted) {
      throw new HttpError(410, `Workspace "${w.name}" was deleted, you can view this workspace by specifying '?include_deleted=true' and trying again.`);
    }
    return w;
  }
  const writable = (req: FastifyRequest, w: wq.WorkspaceRow) => {
    const actor = actorOf(req);
    if (w.owner_id !== actor.user.id && !can(actor.roles, 'workspace:update_any')) {
      throw forbidden('You do not have permission to build this workspace.');
    }
    return actor;
  };

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof CreateWorkspace> }>(
    '/users/:user/workspaces',
    { schema: { tags, params: UserParam, body: CreateWorkspace, response: errors(400, 401, 403, 409) } },
    async (req, reply) => {
      const actor = actorOf(req);
      const owner = await userParam(createDirectory(db), req, req.params.user);
      if (owner.id !== actor.user.id && !can(actor.roles, 'workspace:update_any')) {
        throw forbidden('You cannot create workspaces for other users.');
      }
      if (owner.is_system) throw forbidden('Workspaces cannot be created for system users.');
      const b = req.body;
      const { workspaceId } = await db.tx((q) =>
        service.createWorkspace(ctx, q, owner, actor.user, {
          name: b.name,
          templateId: b.template_id,
          templateVersionId: b.template_version_id,
          presetId: b.template_version_preset_id,
          richParameterValues: b.rich_parameter_values,
          autostartSchedule: b.autostart_schedule,
          ttlMs: b.ttl_ms ?? undefined,
          automaticUpdates: b.automatic_updates || undefined,
        }),
      );
      const out = await snapshot(db, async (q) => (await presentWorkspaces(q, [(await wq.getWorkspace(q, workspaceId))!]))[0]);
      await withAgentTokens(db, [out.latest_build], actor.user.id);
      return reply.status(201).send(out);
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/workspaces',
    { schema: { tags, querystring: ListQuery, response: errors(401) } },
    async (req) => {
      const actor = actorOf(req);
      const f = parseSearch(req.query.q, actor);
      if (!can(actor.roles, 'workspace:read_any')) {
        if (f.ownerUsername && f.ownerUsername.toLowerCase() !== actor.user.username.toLowerCase()) return { workspaces: [], count: 0 };
        f.ownerUsername = undefined;
        f.ownerId = actor.user.id;
      }
      const out = await snapshot(db, async (q) => {
        const { rows, count } = await wq.listWorkspaces(q, { ...f, limit: req.query.limit || 100, offset: req.query.offset ?? 0 });
        return { workspaces: await presentWorkspaces(q, rows), count };
      });
      await withAgentTokens(db, out.workspaces.map((w) => w.latest_build), actor.user.id);
      return out;
    },
  );

  app.get<{ Params: Static<typeof WorkspaceParam>; Querystring: Static<typeof IncludeDeleted> }>(
    '/workspaces/:workspace',
    { schema: { tags, params: WorkspaceParam, querystring: IncludeDeleted, response: errors(401, 404, 410) } },
    async (req) => {
      const out = await snapshot(db, async (q) => {
        const w = await readable(req, await wq.getWorkspace(q, req.params.workspace), req.query.include_deleted);
        return (await presentWorkspaces(q, [w]))[0];
      });
      await withAgentTokens(db, [out.latest_build], actorOf(req).user.id);
      return out;
    },
  );

  app.get<{ Params: Static<typeof UserParam> & { name: string }; Querystring: Static<typeof IncludeDeleted> }>(
    '/users/:user/workspace/:name',
    { schema: { tags, querystring: IncludeDeleted, response: errors(400, 401, 404, 410) } },
    async (req) => {
      const owner = await userParam(createDirectory(db), req, req.params.user);
      const out = await snapshot(db, async (q) => {
        const w = await readable(req, await wq.getWorkspaceByOwnerAndName(q, owner.id, req.params.name, req.query.include_deleted), req.query.include_deleted);
        return (await presentWorkspaces(q, [w]))[0];
      });
      await withAgentTokens(db, [out.latest_build], actorOf(req).user.id);
      return out;
    },
  );

  app.post<{ Params: Static<typeof WorkspaceParam>; Body: Static<typeof CreateBuild> }>(
    '/workspaces/:workspace/builds',
    { schema: { tags, params: WorkspaceParam, body: CreateBuild, response: errors(400, 401, 403, 404, 409, 410) } },
    async (req, reply) => {
      const w = await readable(req, await wq.getWorkspace(db, req.params.workspace));
      const actor = writable(req, w);
      const b = req.body;
      const buildId = await db.tx((q) =>
        service.createBuild(ctx, q, w.id, actor.user, {
          transition: b.transition,
          templateVersionId: b.template_version_id,
          presetId: b.template_version_preset_id,
          richParameterValues: b.rich_parameter_values,
        }),
      );
      const out = await snapshot(db, async (q) => (await presentBuilds(q, (await wq.getWorkspace(q, w.id))!, [(await wq.getBuild(q, buildId))!]))[0]);
      await withAgentTokens(db, [out], actor.user.id);
      return reply.status(201).send(out);
    },
  );

  app.get<{ Params: Static<typeof WorkspaceParam>; Querystring: Static<typeof PageQuery> }>(
    '/workspaces/:workspace/builds',
    { schema: { tags, params: WorkspaceParam, querystring: PageQuery, response: errors(401, 404, 410) } },
    async (req) => {
      const out = await snapshot(db, async (q) => {
        const w = await readable(req, await wq.getWorkspace(q, req.params.workspace), true);
        return presentBuilds(q, w, await wq.listBuilds(q, w.id, req.query.limit || 25, req.query.offset ?? 0));
      });
      await withAgentTokens(db, out, actorOf(req).user.id);
      return out;
    },
  );

  app.get<{ Params: Static<typeof BuildParam> }>(
    '/workspacebuilds/:workspacebuild',
    { schema: { tags, params: BuildParam, response: errors(401, 404) } },
    async (req) => {
      const out = await snapshot(db, async (q) => {
        const b = await wq.getBuild(q, req.params.workspacebuild);
        const w = await readable(req, b ? await wq.getWorkspace(q, b.workspace_id) : undefined, true);
        return (await presentBuilds(q, w, [b!]))[0];
      });
      await withAgentTokens(db, [out], actorOf(req).user.id);
      return out;
    },
  );

  app.get<{ Params: Static<typeof BuildParam> }>(
    '/workspacebuilds/:workspacebuild/logs',
    { schema: { tags, params: BuildParam, response: errors(401, 404) } },
    async (req) => {
      const b = await wq.getBuild(db, req.params.workspacebuild);
      await readable(req, b ? await wq.getWorkspace(db, b.workspace_id) : undefined, true);
      return (await getLogs(db, b!.job_id)).map((l) => ({
        id: l.id,
        created_at: l.created_at.toISOString(),
        log_source: l.source,
        log_level: l.level,
        stage: l.stage,
        output: l.output,
      }));
    },
  );
}

