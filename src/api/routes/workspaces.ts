import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { viewerOf } from '../viewer.js';
import { actorOf, type Actor } from '../auth.js';
import { userParam } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import { forbidden, HttpError } from '../errors.js';
import { cookieAuthenticated, watchOriginAllowed } from './inbox.js';
import {
  AgentParam,
  BuildByNumberParam,
  BuildPageQuery as PageQuery,
  BuildParam,
  BUILD_LOGS_DESCRIPTION,
  BuildLogsQuery,
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
import { type WorkspaceSearch, type WorkspaceService } from '../../platform/workspaces/service.js';

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

/** `?follow` as the reference reads it: present means follow (Herald also takes `follow=false`/`0` as no). */
const following = (q: Static<typeof BuildLogsQuery>) => q.follow !== undefined && q.follow !== 'false' && q.follow !== '0';

/** WebSocket close codes of a followed log (1000 once the build has finished). */
const CLOSE_NORMAL = 1000;
const CLOSE_INTERNAL = 1011;

export async function workspaceRoutes(
  app: FastifyInstance,
  p: { workspaces: WorkspaceService; directory: Directory; accessUrl?: string },
): Promise<void> {
  const workspaces = p.workspaces;
  const accessOrigin = p.accessUrl ? new URL(p.accessUrl).origin : '';

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof CreateWorkspace> }>(
    '/users/:user/workspaces',
    { schema: { tags, params: UserParam, body: CreateWorkspace, response: errors(400, 401, 403, 409) } },
    async (req, reply) => {
      const viewer = viewerOf(req);
      const owner = await userParam(p.directory, req, req.params.user);
      const b = req.body;
      const out = await workspaces.create(viewer, owner, {
          name: b.name,
          templateId: b.template_id,
          templateVersionId: b.template_version_id,
          presetId: b.template_version_preset_id,
          richParameterValues: b.rich_parameter_values,
          autostartSchedule: b.autostart_schedule,
          ttlMs: b.ttl_ms ?? undefined,
          automaticUpdates: b.automatic_updates || undefined,
        });
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
    async (req) => workspaces.get(viewerOf(req), req.params.workspace, req.query.include_deleted),
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
    async (req, reply) => reply.status(201).send(await workspaces.rotateAgentToken(viewerOf(req), req.params.workspace, req.query.agent)),
  );

  app.get<{ Params: Static<typeof UserParam> & { name: string }; Querystring: Static<typeof IncludeDeleted> }>(
    '/users/:user/workspace/:name',
    { schema: { tags, querystring: IncludeDeleted, response: errors(400, 401, 404, 410) } },
    async (req) => {
      const viewer = viewerOf(req);
      const owner = await userParam(p.directory, req, req.params.user);
      return workspaces.getByOwnerAndName(viewer, owner.id, req.params.name, req.query.include_deleted);
    },
  );

  app.post<{ Params: Static<typeof WorkspaceParam>; Body: Static<typeof CreateBuild> }>(
    '/workspaces/:workspace/builds',
    { schema: { tags, params: WorkspaceParam, body: CreateBuild, response: errors(400, 401, 403, 404, 409, 410) } },
    async (req, reply) => {
      const b = req.body;
      const out = await workspaces.build(viewerOf(req), req.params.workspace, {
          transition: b.transition,
          templateVersionId: b.template_version_id,
          presetId: b.template_version_preset_id,
          richParameterValues: b.rich_parameter_values,
        });
      return reply.status(201).send(out);
    },
  );

  app.get<{ Params: Static<typeof WorkspaceParam>; Querystring: Static<typeof PageQuery> }>(
    '/workspaces/:workspace/builds',
    { schema: { tags, params: WorkspaceParam, querystring: PageQuery, response: errors(401, 404, 410) } },
    async (req) => workspaces.listBuilds(viewerOf(req), req.params.workspace, { limit: req.query.limit || 25, offset: req.query.offset ?? 0 }),
  );

  app.get<{ Params: Static<typeof BuildParam> }>(
    '/workspacebuilds/:workspacebuild',
    { schema: { tags, params: BuildParam, response: errors(401, 404) } },
    async (req) => workspaces.getBuild(viewerOf(req), req.params.workspacebuild),
  );

  // The lines so far as JSON, or, with ?follow and a WebSocket upgrade, each line as it is written.
  app.route<{ Params: Static<typeof BuildParam>; Querystring: Static<typeof BuildLogsQuery> }>({
    method: 'GET',
    url: '/workspacebuilds/:workspacebuild/logs',
    schema: { tags, description: BUILD_LOGS_DESCRIPTION, params: BuildParam, querystring: BuildLogsQuery, response: errors(400, 401, 403, 404, 426) },
    preHandler: async (req) => {
      if (!following(req.query)) return;
      if (!req.ws) throw new HttpError(426, 'Upgrade Required', 'Following build logs is a WebSocket: send an Upgrade request.');
      // Cross-site WebSocket hijacking: browsers attach cookies to cross-origin handshakes.
      const origin = req.headers.origin;
      if (cookieAuthenticated(req) && !watchOriginAllowed(origin, req.headers.host, accessOrigin)) {
        throw forbidden('Cross-origin WebSocket request refused.', 'Build logs followed with the session cookie must be opened from the dashboard.');
      }
      // Unknown or hidden builds answer 404 before the upgrade.
      await workspaces.getBuild(viewerOf(req), req.params.workspacebuild);
    },
    handler: async (req) => workspaces.buildLogs(viewerOf(req), req.params.workspacebuild, req.query.after ?? 0),
    wsHandler: async (socket, req) => {
      socket.on('message', () => undefined);
      let stop: (() => void) | undefined;
      let closed = false;
      socket.on('close', () => {
        closed = true;
        stop?.();
      });
      try {
        stop = await workspaces.followBuildLogs(viewerOf(req), req.params.workspacebuild, req.query.after ?? 0, {
          send: (logs) => {
            for (const l of logs) socket.send(JSON.stringify(l));
          },
          end: () => socket.close(CLOSE_NORMAL, 'build finished'),
        });
        if (closed) stop();
      } catch (err) {
        req.log.warn({ err }, 'following build logs failed');
        socket.close(CLOSE_INTERNAL, 'could not follow the build logs');
      }
    },
  });

  app.get<{ Params: Static<typeof BuildByNumberParam> }>(
    '/users/:user/workspace/:name/builds/:buildnumber',
    { schema: { tags, description: 'Reference compatibility (notification links): a build by owner, workspace name and build number.', params: BuildByNumberParam, response: errors(400, 401, 404) } },
    async (req) => {
      const owner = await userParam(p.directory, req, req.params.user);
      return workspaces.getBuildByNumber(viewerOf(req), owner.id, req.params.name, req.params.buildnumber);
    },
  );

  app.get<{ Params: Static<typeof BuildParam> }>(
    '/workspacebuilds/:workspacebuild/parameters',
    { schema: { tags, description: 'Reference compatibility: the rich parameter values a build ran with, `[{name, value}]`.', params: BuildParam, response: errors(401, 404) } },
    async (req) => workspaces.buildParameters(viewerOf(req), req.params.workspacebuild),
  );

  app.get<{ Params: Static<typeof AgentParam> }>(
    '/workspaceagents/:workspaceagent',
    { schema: { tags: ['Agents'], description: 'Reference compatibility (the task page): a workspace agent with its apps and their latest statuses.', params: AgentParam, response: errors(401, 404) } },
    async (req) => workspaces.getAgent(viewerOf(req), req.params.workspaceagent),
  );
}
