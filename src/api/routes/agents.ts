import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { notify } from '../../db/database.js';
import { badRequest, unauthorized } from '../errors.js';
import { errors } from '../../contract/common.js';
import { PatchAppStatus } from '../../contract/agents.js';
import { tokenFromRequest, requestAuth } from '../auth.js';
import * as aq from '../../platform/agents/queries.js';
import { notifyTaskState, uiSanitize } from '../../platform/tasks/notify.js';
import { WORKSPACE_EVENTS_CHANNEL } from '../../platform/provisioner/complete.js';

const MAX_MESSAGE_BYTES = 160;

/** Routes authenticated by a workspace agent's token (header Coder-Session-Token or Bearer). */
export async function agentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;

  const agentAuth = requestAuth(async (req: FastifyRequest): Promise<aq.AgentRow> => {
    const token = tokenFromRequest(req);
    if (!token) throw unauthorized('Workspace agent not authorized.', 'No agent token was provided.');
    const agent = await aq.agentByToken(db, token);
    if (!agent) throw unauthorized('Workspace agent not authorized.', 'The agent token is invalid or its workspace was rebuilt.');
    return agent;
  });
  const agentOf = agentAuth.get;

  app.patch<{ Body: Static<typeof PatchAppStatus> }>(
    '/workspaceagents/me/app-status',
    {
      onRequest: agentAuth.onRequest,
      schema: {
        tags: ['Agents'],
        body: PatchAppStatus,
        security: [{ CoderSessionToken: [] }],
        description: 'Report the status of one of the agent\'s apps (authenticated with the agent token).',
        response: errors(400, 401),
      },
    },
    async (req) => {
      const agent = await agentOf(req);
      const b = req.body;
      if (Buffer.byteLength(b.message, 'utf8') > MAX_MESSAGE_BYTES) {
        throw badRequest('Message is too long.', `Message must be at most ${MAX_MESSAGE_BYTES} bytes.`, [
          { field: 'message', detail: `must be at most ${MAX_MESSAGE_BYTES} bytes` },
        ]);
      }
      if (!(aq.APP_STATUS_STATES as readonly string[]).includes(b.state)) {
        throw badRequest('Invalid state provided.', `invalid state: "${b.state}"`, [
          { field: 'state', detail: `must be one of ${aq.APP_STATUS_STATES.join(', ')}` },
        ]);
      }
      const state = b.state as aq.AppStatusState;
      await db.tx(async (q) => {
        const appRow = await aq.appBySlugForUpdate(q, agent.id, b.app_slug);
        if (!appRow) {
          throw badRequest('Failed to get workspace app.', `No app found with slug "${b.app_slug}"`, [
            { field: 'app_slug', detail: `no app with slug "${b.app_slug}" on this agent` },
          ]);
        }
        // The previous status must be read before the new one is written.
        const previous = (await aq.latestStatusesByApp(q, appRow.id, 1))[0];
        await aq.insertAppStatus(q, {
          agentId: agent.id,
          appId: appRow.id,
          workspaceId: agent.workspace_id,
          state,
          message: uiSanitize(b.message),
          uri: b.uri || null,
        });
        await notify(q, WORKSPACE_EVENTS_CHANNEL, JSON.stringify({ workspace_id: agent.workspace_id, kind: 'agent_app_status_update', agent_id: agent.id }));
        await notifyTaskState(ctx, q, { workspaceId: agent.workspace_id, appId: appRow.id, state, previous });
      });
      return null;
    },
  );
}
