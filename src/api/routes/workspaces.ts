import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { can } from '../../access/roles.js';
import { actorOf, type Actor } from '../auth.js';
import { HttpError } from '../errors.js';
import { userParam } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import {
  BuildPageQuery as PageQuery,
  BuildParam,
  CreateBuild,
  CreateWorkspace,
  IncludeDeleted,
  AgentToken,
  AgentTokenParam,
  AgentTokenQuery,
  WorkspaceListQuery as ListQuery,
  WorkspaceParam,
} from '../../contract/workspaces.js';
import type { Directory } from '../../platform/directory.js';
import { WorkspaceDeleted, type Viewer, type WorkspaceSearch, type WorkspaceService } from '../../platform/workspaces/service.js';

const tags = ['Workspaces'];

/** "owner:me template:docker name" as the reference's workspace search. */
function parseSearch(q: string | undefined, actor: Actor): Omit<WorkspaceSearch, 'limit' | 'offset'> {
  const out: Omit<WorkspaceSearch, 'limit' | 'offset'> = {};
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

const viewerOf = (req: FastifyRequest): Viewer => {
  const actor = actorOf(req);
  return { user: actor.user, readAny: can(actor.roles, 'workspace:read_any'), updateAny: can(actor.roles, 'workspace:update_any') };
};

/** A deleted workspace answers 410 Gone, as the reference's does. */
async function gone<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WorkspaceDeleted) throw new HttpError(410, err.message, err.detail);
    throw err;
  }
}

export async function workspaceRoutes(app: FastifyInstance, p: { workspaces: WorkspaceService; directory: Directory }): Promise<void> {
  const workspaces = p.workspaces;

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof CreateWorkspace> }>(
    '/users/:user/workspaces',
    { schema: { tags, params: UserParam, body: CreateWorkspace, response: errors(400, 401, 403, 409) } },
    async (req, reply) => {
      const viewer = viewerOf(req);
      const owner = await userParam(p.directory, req, req.params.user);
      const b = req.body;
      const out = await gone(
        workspaces.create(viewer, owner, {
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
      return reply.status(201).send(out);
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/workspaces',
    { schema: { tags, querystring: ListQuery, response: errors(401) } },
    async (req) => {
      const viewer = viewerOf(req);
      const f = parseSearch(req.query.q, actorOf(req));
      return workspaces.list(viewer, { ...f, limit: req.query.limit || 100, offset: req.query.offset ?? 0 });
    },
  );

  app.get<{ Params: Static<typeof WorkspaceParam>; Querystring: Static<typeof IncludeDeleted> }>(
    '/workspaces/:workspace',
    { schema: { tags, params: WorkspaceParam, querystring: IncludeDeleted, response: errors(401, 404, 410) } },
    async (req) => gone(workspaces.get(viewerOf(req), req.params.workspace, req.query.include_deleted)),
  );

  app.post<{ Params: Static<typeof AgentTokenParam>; Querystring: Static<typeof AgentTokenQuery> }>(
    '/workspaces/:workspace/agent-token',
    {
      schema: {
        tags,
        params: AgentTokenParam,
        querystring: AgentTokenQuery,
        description: "Herald: rotates the token of an agent of the workspace's latest build (?agent=name) and answers it once. Workspace owner only.",
        response: { 201: AgentToken, ...errors(400, 401, 403, 404, 410) },
      },
    },
    async (req, reply) => reply.status(201).send(await gone(workspaces.rotateAgentToken(viewerOf(req), req.params.workspace, req.query.agent))),
  );

  app.get<{ Params: Static<typeof UserParam> & { name: string }; Querystring: Static<typeof IncludeDeleted> }>(
    '/users/:user/workspace/:name',
    { schema: { tags, querystring: IncludeDeleted, response: errors(400, 401, 404, 410) } },
    async (req) => {
      const viewer = viewerOf(req);
      const owner = await userParam(p.directory, req, req.params.user);
      return gone(workspaces.getByOwnerAndName(viewer, owner.id, req.params.name, req.query.include_deleted));
    },
  );

  app.post<{ Params: Static<typeof WorkspaceParam>; Body: Static<typeof CreateBuild> }>(
    '/workspaces/:workspace/builds',
    { schema: { tags, params: WorkspaceParam, body: CreateBuild, response: errors(400, 401, 403, 404, 409, 410) } },
    async (req, reply) => {
      const b = req.body;
      const out = await gone(
        workspaces.build(viewerOf(req), req.params.workspace, {
          transition: b.transition,
          templateVersionId: b.template_version_id,
          presetId: b.template_version_preset_id,
          richParameterValues: b.rich_parameter_values,
        }),
      );
      return reply.status(201).send(out);
    },
  );

  app.get<{ Params: Static<typeof WorkspaceParam>; Querystring: Static<typeof PageQuery> }>(
    '/workspaces/:workspace/builds',
    { schema: { tags, params: WorkspaceParam, querystring: PageQuery, response: errors(401, 404, 410) } },
    async (req) => gone(workspaces.listBuilds(viewerOf(req), req.params.workspace, { limit: req.query.limit || 25, offset: req.query.offset ?? 0 })),
  );

  app.get<{ Params: Static<typeof BuildParam> }>(
    '/workspacebuilds/:workspacebuild',
    { schema: { tags, params: BuildParam, response: errors(401, 404) } },
    async (req) => gone(workspaces.getBuild(viewerOf(req), req.params.workspacebuild)),
  );

  app.get<{ Params: Static<typeof BuildParam> }>(
    '/workspacebuilds/:workspacebuild/logs',
    { schema: { tags, params: BuildParam, response: errors(401, 404) } },
    async (req) => gone(workspaces.buildLogs(viewerOf(req), req.params.workspacebuild)),
  );
}
