import { notify, type Database } from '../../db/database.js';
import { Invalid, Unauthorized } from '../../lib/errors.js';
import type { Clock } from '../../lib/service.js';
import type { EventDeps } from '../deps.js';
import { notifyTaskState, uiSanitize } from '../tasks/notify.js';
import { WORKSPACE_EVENTS_CHANNEL } from '../provisioner/complete.js';
import * as aq from './queries.js';
import { MONITOR_CONFIG, pushUsage, type Datapoint } from './monitors.js';
import { bumpActivity } from '../lifecycle/deadline.js';

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
  /** Agent stats: open connections or sessions count as use (deadline bump, dormancy clock). */
  reportStats(agent: aq.AgentRow, stats: AgentStats): Promise<{ report_interval: number }>;
  resourcesMonitoringConfiguration(agent: aq.AgentRow): Promise<unknown>;
  pushResourcesMonitoringUsage(agent: aq.AgentRow, datapoints: Datapoint[]): Promise<void>;
}

export interface AgentStats {
  connection_count?: number;
  session_count_vscode?: number;
  session_count_jetbrains?: number;
  session_count_reconnecting_pty?: number;
  session_count_ssh?: number;
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
      // The reference's checks, in its order: the app (by slug), then the message length, then the state.
      await db.tx(async (q) => {
        const appRow = await aq.appBySlugForUpdate(q, agent.id, b.app_slug);
        if (!appRow) {
          throw new Invalid('Failed to get workspace app.', `No app found with slug "${b.app_slug}"`, [
            { field: 'app_slug', detail: `No app found with slug "${b.app_slug}"` },
          ]);
        }
        if (Buffer.byteLength(b.message, 'utf8') > MAX_MESSAGE_BYTES) {
          const detail = `Message must be less than ${MAX_MESSAGE_BYTES} characters.`;
          throw new Invalid('Message is too long.', detail, [{ field: 'message', detail }]);
        }
        if (!(aq.APP_STATUS_STATES as readonly string[]).includes(b.state)) {
          throw new Invalid('Invalid state provided.', `invalid state: "${b.state}"`, [
            { field: 'state', detail: `State must be one of: ${aq.APP_STATUS_STATES.join(', ')}.` },
          ]);
        }
        const state = b.state as aq.AppStatusState;
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

    async reportStats(agent, st) {
      const used = (st.connection_count ?? 0) + (st.session_count_vscode ?? 0) + (st.session_count_jetbrains ?? 0) +
        (st.session_count_reconnecting_pty ?? 0) + (st.session_count_ssh ?? 0);
      if (used > 0) await db.tx((q) => bumpActivity(q, agent.workspace_id, deps.clock()));
      return { report_interval: 30_000_000_000 };
    },

    async resourcesMonitoringConfiguration(agent) {
      const mem = await db.query<{ enabled: boolean }>(`SELECT enabled FROM workspace_agent_memory_resource_monitors WHERE agent_id = $1`, [agent.id]);
      const vols = await db.query<{ enabled: boolean; path: string }>(
        `SELECT enabled, path FROM workspace_agent_volume_resource_monitors WHERE agent_id = $1 ORDER BY path`,
        [agent.id],
      );
      return {
        config: { num_datapoints: MONITOR_CONFIG.numDatapoints, collection_interval_seconds: MONITOR_CONFIG.collectionIntervalSeconds },
        memory: mem.rows[0] ? { enabled: mem.rows[0].enabled } : null,
        volumes: vols.rows,
      };
    },

    async pushResourcesMonitoringUsage(agent, datapoints) {
      await db.tx((q) => pushUsage(deps, q, agent, datapoints, deps.clock()));
    },
  };
}
