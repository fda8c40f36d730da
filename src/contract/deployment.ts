import { Type, type Static } from '@sinclair/typebox';

// The deployment: effective configuration (owners) and build information.

export const ConfigOption = Type.Object({
  option: Type.String({ description: 'The command-line flag, e.g. --email-smarthost' }),
  env: Type.String({ description: 'The HERALD_* environment variable' }),
  type: Type.String({ description: 'string, bool, int or duration (durations are shown as 15s, 2m, 1h)' }),
  value: Type.Unknown({ description: 'The effective value; secrets are masked as ********' }),
  group: Type.String(),
  help: Type.String(),
});
export type ConfigOption = Static<typeof ConfigOption>;
export const DeploymentConfig = Type.Object({ options: Type.Array(ConfigOption) });
export type DeploymentConfig = Static<typeof DeploymentConfig>;

export const BuildInfo = Type.Object({ version: Type.String(), external_url: Type.String(), dashboard_url: Type.String() });
export type BuildInfo = Static<typeof BuildInfo>;

export const deploymentEndpoints = {
  'GET /deployment/config': { response: { 200: DeploymentConfig } },
  'GET /buildinfo': { response: { 200: BuildInfo } },
} as const;
