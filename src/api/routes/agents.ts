import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../../contract/common.js';
import { PatchAppStatus } from '../../contract/agents.js';
import { tokenFromRequest, requestAuth } from '../auth.js';
import type { AgentRow, AgentService } from '../../platform/agents/service.js';


/** Routes authenticated by a workspace agent's token (header Coder-Session-Token or Bearer). */
export async function agentRoutes(app: FastifyInstance, agents: AgentService): Promise<void> {
  const agentAuth = requestAuth((req: FastifyRequest): Promise<AgentRow> => agents.authenticate(tokenFromRequest(req)));
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
      await agents.reportAppStatus(await agentOf(req), req.body);
      return null;
    },
  );
}
