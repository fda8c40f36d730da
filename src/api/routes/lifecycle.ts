import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { viewerOf } from '../viewer.js';
import { authorize, requestAuth, tokenFromRequest } from '../auth.js';
import { errors, Uuid } from '../../contract/common.js';
import {
  AgentStats,
  PrebuildsSettings,
  ResourcesMonitoringUsage,
  UpdateAutomaticUpdates,
  UpdateAutostart,
  UpdateDormancy,
  UpdateTtl,
  UpdateUserQuietHoursSchedule,
  UserQuietHoursSchedule,
} from '../../contract/lifecycle.js';
import { UserParam } from '../../contract/common.js';
import { actorOf } from '../auth.js';
import { userParam } from '../params.js';
import { can } from '../../access/roles.js';
import type { Directory } from '../../platform/directory.js';
import type { LifecycleService } from '../../platform/lifecycle/service.js';
import type { AgentRow, AgentService } from '../../platform/agents/service.js';

const tags = ['Workspaces'];
const WorkspaceParam = Type.Object({ workspace: Uuid });

/** Workspace schedules, dormancy and automatic updates; prebuilds settings (session-authenticated). */
export async function lifecycleRoutes(app: FastifyInstance, lifecycle: LifecycleService, directory: Directory): Promise<void> {
  const who = (req: FastifyRequest) => {
    const a = actorOf(req);
    return { userId: a.user.id, readOthers: can(a.roles, 'user:read'), updateOthers: can(a.roles, 'user:update') };
  };
  app.get<{ Params: Static<typeof UserParam> }>(
    '/users/:user/quiet-hours',
    { schema: { tags: ['Users'], params: UserParam, response: { 200: UserQuietHoursSchedule, ...errors(400, 401, 403, 404) } } },
    async (req) => lifecycle.quietHours(who(req), await userParam(directory, req, req.params.user)),
  );
  app.put<{ Params: Static<typeof UserParam>; Body: Static<typeof UpdateUserQuietHoursSchedule> }>(
    '/users/:user/quiet-hours',
    { schema: { tags: ['Users'], params: UserParam, body: UpdateUserQuietHoursSchedule, response: { 200: UserQuietHoursSchedule, ...errors(400, 401, 403, 404) } } },
    async (req) => lifecycle.setQuietHours(who(req), await userParam(directory, req, req.params.user), req.body.schedule),
  );

  app.put<{ Params: Static<typeof WorkspaceParam>; Body: Static<typeof UpdateAutostart> }>(
    '/workspaces/:workspace/autostart',
    { schema: { tags, params: WorkspaceParam, body: UpdateAutostart, response: errors(400, 401, 403, 404, 410) } },
    async (req, reply) => {
      await lifecycle.setAutostart(viewerOf(req), req.params.workspace, req.body.schedule);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: Static<typeof WorkspaceParam>; Body: Static<typeof UpdateTtl> }>(
    '/workspaces/:workspace/ttl',
    { schema: { tags, params: WorkspaceParam, body: UpdateTtl, response: errors(400, 401, 403, 404, 410) } },
    async (req, reply) => {
      await lifecycle.setTtl(viewerOf(req), req.params.workspace, req.body.ttl_ms);
      return reply.status(204).send();
    },
  );

  app.put<{ Params: Static<typeof WorkspaceParam>; Body: Static<typeof UpdateDormancy> }>(
    '/workspaces/:workspace/dormant',
    { schema: { tags, params: WorkspaceParam, body: UpdateDormancy, response: errors(400, 401, 403, 404, 410) } },
    async (req) => lifecycle.setDormant(viewerOf(req), req.params.workspace, req.body.dormant),
  );

  app.put<{ Params: Static<typeof WorkspaceParam>; Body: Static<typeof UpdateAutomaticUpdates> }>(
    '/workspaces/:workspace/autoupdates',
    { schema: { tags, params: WorkspaceParam, body: UpdateAutomaticUpdates, response: errors(400, 401, 403, 404, 410) } },
    async (req, reply) => {
      await lifecycle.setAutomaticUpdates(viewerOf(req), req.params.workspace, req.body.automatic_updates);
      return reply.status(204).send();
    },
  );

  app.get('/prebuilds/settings', { schema: { tags: ['Prebuilds'], response: errors(401, 403) } }, async (req) => {
    authorize(req, 'deployment_config:read');
    return lifecycle.prebuildsSettings();
  });

  app.put<{ Body: Static<typeof PrebuildsSettings> }>(
    '/prebuilds/settings',
    {
      schema: { tags: ['Prebuilds'], body: PrebuildsSettings, response: errors(400, 401, 403) },
      // Who may, before what they sent: a member gets 403 whatever the body.
      onRequest: async (req) => {
        authorize(req, 'deployment_config:update');
      },
    },
    async (req) => lifecycle.setPrebuildsSettings(req.body),
  );
}

/** Agent-token routes: stats (activity) and resource monitoring. */
export async function agentLifecycleRoutes(app: FastifyInstance, agents: AgentService): Promise<void> {
  const agentAuth = requestAuth((req: FastifyRequest): Promise<AgentRow> => agents.authenticate(tokenFromRequest(req)));
  const security = [{ CoderSessionToken: [] }];

  app.post<{ Body: Static<typeof AgentStats> }>(
    '/workspaceagents/me/report-stats',
    { onRequest: agentAuth.onRequest, schema: { tags: ['Agents'], body: AgentStats, security, response: errors(400, 401) } },
    async (req) => agents.reportStats(await agentAuth.get(req), req.body),
  );

  app.get(
    '/workspaceagents/me/resources-monitoring',
    { onRequest: agentAuth.onRequest, schema: { tags: ['Agents'], security, response: errors(401) } },
    async (req) => agents.resourcesMonitoringConfiguration(await agentAuth.get(req)),
  );

  app.post<{ Body: Static<typeof ResourcesMonitoringUsage> }>(
    '/workspaceagents/me/resources-monitoring',
    { onRequest: agentAuth.onRequest, schema: { tags: ['Agents'], body: ResourcesMonitoringUsage, security, response: errors(400, 401) } },
    async (req, reply) => {
      await agents.pushResourcesMonitoringUsage(await agentAuth.get(req), req.body.datapoints);
      return reply.status(204).send();
    },
  );
}
