import { Type, type Static } from '@sinclair/typebox';

// The deployment: effective configuration (owners) and build information.

/** One option in the reference's serpent.Option format, plus Herald's option/type/help. */
export const ConfigOption = Type.Object({
  name: Type.String(),
  description: Type.String(),
  required: Type.Boolean(),
  flag: Type.String({ description: 'The command-line flag without dashes, e.g. email-smarthost' }),
  env: Type.String({ description: 'The HERALD_* environment variable' }),
  yaml: Type.String({ description: 'The key in the YAML configuration file' }),
  default: Type.String(),
  value: Type.Unknown({ description: 'The effective value; secrets are masked as ********, durations shown as 15s, 2m, 1h' }),
  annotations: Type.Record(Type.String(), Type.String()),
  group: Type.Object({ name: Type.String(), yaml: Type.String(), description: Type.String() }),
  hidden: Type.Boolean(),
  value_source: Type.String({ description: '"default" when the value is the default, else empty (Herald does not record the source)' }),
  option: Type.String({ description: 'The command-line flag, e.g. --email-smarthost' }),
  type: Type.String({ description: 'string, bool, int or duration' }),
  help: Type.String(),
});
export type ConfigOption = Static<typeof ConfigOption>;

const Email = Type.Object({
  from: Type.String(),
  smarthost: Type.String(),
  hello: Type.String(),
  force_tls: Type.Boolean(),
  auth: Type.Object({ identity: Type.String(), username: Type.String(), password: Type.String(), password_file: Type.String() }),
  tls: Type.Object({
    start_tls: Type.Boolean(),
    server_name: Type.String(),
    insecure_skip_verify: Type.Boolean(),
    ca_file: Type.String(),
    cert_file: Type.String(),
    key_file: Type.String(),
  }),
});

/** codersdk.NotificationsConfig: durations in nanoseconds, as Go serialises time.Duration. */
export const DeploymentNotifications = Type.Object({
  method: Type.String(),
  dispatch_timeout: Type.Integer(),
  max_send_attempts: Type.Integer(),
  retry_interval: Type.Integer(),
  sync_interval: Type.Integer(),
  sync_buffer_size: Type.Integer(),
  lease_period: Type.Integer(),
  lease_count: Type.Integer(),
  fetch_interval: Type.Integer(),
  email: Email,
  webhook: Type.Object({ endpoint: Type.String() }),
  inbox: Type.Object({ enabled: Type.Boolean() }),
});

/** codersdk.DeploymentConfig: `config` holds the values the reference has and Herald knows, `options` every option. */
export const DeploymentConfig = Type.Object({
  config: Type.Object({ access_url: Type.String(), http_address: Type.String(), notifications: DeploymentNotifications }),
  options: Type.Array(ConfigOption),
});
export type DeploymentConfig = Static<typeof DeploymentConfig>;

export const BuildInfo = Type.Object({ version: Type.String(), external_url: Type.String(), dashboard_url: Type.String() });
export type BuildInfo = Static<typeof BuildInfo>;

export const deploymentEndpoints = {
  'GET /deployment/config': { response: { 200: DeploymentConfig } },
  'GET /buildinfo': { response: { 200: BuildInfo } },
} as const;
