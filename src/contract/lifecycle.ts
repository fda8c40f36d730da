import { Type } from '@sinclair/typebox';
import { DateTime, NoContent, UserParam, Uuid } from './common.js';
import { Workspace } from './workspaces.js';

// Schedules, dormancy, automatic updates, agent stats and resource monitoring, prebuilds settings.

const Ms = Type.Integer({ minimum: 0 });
const Day = Type.Union(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => Type.Literal(d)));

/** The schedule fields of PATCH /templates/{id} (codersdk.UpdateTemplateMeta). */
export const TemplateScheduleFields = {
  default_ttl_ms: Type.Optional(Ms),
  activity_bump_ms: Type.Optional(Ms),
  allow_user_autostart: Type.Optional(Type.Boolean()),
  allow_user_autostop: Type.Optional(Type.Boolean()),
  autostop_requirement: Type.Optional(
    Type.Object({ days_of_week: Type.Optional(Type.Array(Day, { maxItems: 7 })), weeks: Type.Optional(Type.Integer({ minimum: 0, maximum: 16 })) }),
  ),
  autostart_requirement: Type.Optional(Type.Object({ days_of_week: Type.Optional(Type.Array(Day, { maxItems: 7 })) })),
  failure_ttl_ms: Type.Optional(Ms),
  time_til_dormant_ms: Type.Optional(Ms),
  time_til_dormant_autodelete_ms: Type.Optional(Ms),
  require_active_version: Type.Optional(Type.Boolean()),
  time_til_autostop_notify_ms: Type.Optional(Ms),
  update_workspace_last_used_at: Type.Optional(Type.Boolean()),
  update_workspace_dormant_at: Type.Optional(Type.Boolean()),
};

export const UpdateAutostart = Type.Object({ schedule: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])) });
export const UpdateTtl = Type.Object({ ttl_ms: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) });
export const UpdateDormancy = Type.Object({ dormant: Type.Boolean() });
export const UpdateAutomaticUpdates = Type.Object({ automatic_updates: Type.Union([Type.Literal('always'), Type.Literal('never')]) });

export const AgentStats = Type.Object({
  connection_count: Type.Optional(Type.Integer({ minimum: 0 })),
  session_count_vscode: Type.Optional(Type.Integer({ minimum: 0 })),
  session_count_jetbrains: Type.Optional(Type.Integer({ minimum: 0 })),
  session_count_reconnecting_pty: Type.Optional(Type.Integer({ minimum: 0 })),
  session_count_ssh: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: true });

const Usage = { used: Type.Number({ minimum: 0 }), total: Type.Number({ minimum: 0 }) };
export const ResourcesMonitoringUsage = Type.Object({
  datapoints: Type.Array(
    Type.Object({
      collected_at: Type.Optional(Type.String({ maxLength: 64 })),
      memory: Type.Optional(Type.Union([Type.Object(Usage), Type.Null()])),
      volumes: Type.Optional(Type.Array(Type.Object({ volume: Type.String({ maxLength: 4096 }), ...Usage }), { maxItems: 64 })),
    }),
    { maxItems: 100 },
  ),
});

export const PrebuildsSettings = Type.Object({ reconciliation_paused: Type.Boolean() });

/** codersdk.UserQuietHoursScheduleResponse: when the owner's workspaces may be stopped by the template's autostop requirement. */
export const UserQuietHoursSchedule = Type.Object({
  raw_schedule: Type.String({ description: 'A daily cron with its zone, e.g. "CRON_TZ=Europe/London 0 2 * * *".' }),
  user_set: Type.Boolean({ description: 'False: the deployment default applies.' }),
  user_can_set: Type.Boolean(),
  time: Type.String({ description: 'HH:MM in the zone.' }),
  timezone: Type.String(),
  next: DateTime,
});
/** An empty schedule goes back to the deployment default. */
export const UpdateUserQuietHoursSchedule = Type.Object({ schedule: Type.String({ maxLength: 256 }) }, { additionalProperties: false });

const WorkspaceIdParam = Type.Object({ workspace: Uuid });
export const ReportStatsResponse = Type.Object({ report_interval: Type.Integer({ description: 'Nanoseconds until the next report, as the reference.' }) });

export const lifecycleEndpoints = {
  'PUT /workspaces/{workspace}/autostart': { params: WorkspaceIdParam, body: UpdateAutostart, response: { 204: NoContent } },
  'PUT /workspaces/{workspace}/ttl': { params: WorkspaceIdParam, body: UpdateTtl, response: { 204: NoContent } },
  'PUT /workspaces/{workspace}/dormant': { params: WorkspaceIdParam, body: UpdateDormancy, response: { 200: Workspace } },
  'PUT /workspaces/{workspace}/autoupdates': { params: WorkspaceIdParam, body: UpdateAutomaticUpdates, response: { 204: NoContent } },
  'GET /users/{user}/quiet-hours': { params: UserParam, response: { 200: UserQuietHoursSchedule } },
  'PUT /users/{user}/quiet-hours': { params: UserParam, body: UpdateUserQuietHoursSchedule, response: { 200: UserQuietHoursSchedule } },
  'GET /prebuilds/settings': { response: { 200: PrebuildsSettings } },
  'PUT /prebuilds/settings': { body: PrebuildsSettings, response: { 200: PrebuildsSettings } },
  'POST /workspaceagents/me/report-stats': { body: AgentStats, response: { 200: ReportStatsResponse } },
  'GET /workspaceagents/me/resources-monitoring': { response: { 200: Type.Unknown({ description: "The agent's memory and volume thresholds." }) } },
  'POST /workspaceagents/me/resources-monitoring': { body: ResourcesMonitoringUsage, response: { 204: NoContent } },
} as const;
