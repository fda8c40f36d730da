import { notify, type Database } from '../../db/database.js';
import { Invalid, Unauthorized } from '../../lib/errors.js';
import type { Clock } from '../../lib/service.js';
import type { EventDeps } from '../deps.js';
import { notifyTaskState, uiSanitize } from '../tasks/notify.js';
import { WORKSPACE_EVENTS_CHANNEL } from '../provisioner/complete.js';
import * as aq from './queries.js';

export type { AgentRow } from './queries.js';

const MAX_MESSAGE_BYTES = 160;
const NOT_AUTHORIZED = 'Workspace agent not authorized.';

export interface AppStatusReport {
  app_slug: string;
  state: string;
  message: string;
  uri?: string;
}

export interface AgentService {
  /** The agent of a token that is still good (see agentByToken); Unauthorized otherwise. */
  authenticate(token: string | undefined): Promise<aq.AgentRow>;
  reportAppStatus(agent: aq.AgentRow, report: AppStatusReport): Promise<void>;
}

export function createAgentService(deps: EventDeps & { db: Database; clock: Clock }): AgentService {
  const { db } = deps;
  return {
    async authenticate(token) {
      if (!token) throw new Unauthorized(NOT_AUTHORIZED, 'No agent token was provided.');
      const agent = await aq.agentByToken(db, token);
      if (!agent) {
        throw new Unauthorized(
          NOT_AUTHORIZED,
          'The agent token is invalid, or belongs to a build that is no longer the latest of a live workspace of an active user.',
        );
      }
      return agent;
    },

    async reportAppStatus(agent, b) {
      if (Buffer.byteLength(b.message, 'utf8') > MAX_MESSAGE_BYTES) {
        throw new Invalid('Message is too long.', `Message must be at most ${MAX_MESSAGE_BYTES} bytes.`, [
          { field: 'message', detail: `must be at most ${MAX_MESSAGE_BYTES} bytes` },
        ]);
      }
      if (!(aq.APP_STATUS_STATES as readonly string[]).includes(b.state)) {
        throw new Invalid('Invalid state provided.', `invalid state: "${b.state}"`, [
          { field: 'state', detail: `must be one of ${aq.APP_STATUS_STATES.join(', ')}` },
        ]);
      }
      const state = b.state as aq.AppStatusState;
      await db.tx(async (q) => {
        const appRow = await aq.appBySlugForUpdate(q, agent.id, b.app_slug);
        if (!appRow) {
          throw new Invalid('Failed to get workspace app.', `No app found with slug "${b.app_slug}"`, [
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
        await notifyTaskState(deps, q, { workspaceId: agent.workspace_id, appId: appRow.id, state, previous, now: deps.clock() });
      });
    },
  };
}
